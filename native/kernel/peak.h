// Measures this machine's FP32 FMA peak with one kernel table's vector width.
#ifndef NONLOCAL_KERNEL_PEAK_H_
#define NONLOCAL_KERNEL_PEAK_H_

#include "kernel_table.h"

namespace nonlocal {

// GFLOP/s of `threads` threads each running `table`'s independent FMA chains, within a budget of
// about `seconds`: a warm-up, then the best of several equal trials.
double MeasureFmaPeak(const KernelTable& table, int threads, double seconds) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_PEAK_H_
