// Measures this machine's FP32 FMA peak with the active kernel table's vector width.
#ifndef NONLOCAL_KERNEL_PEAK_H_
#define NONLOCAL_KERNEL_PEAK_H_

namespace nonlocal {

// GFLOP/s of `threads` threads each running independent FMA chains for about `seconds`.
double MeasureFmaPeak(int threads, double seconds) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_PEAK_H_
