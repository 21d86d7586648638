// The small rules the kernel's baseline translation units (attention.cc, block.cc, gemm.cc) share.
// Never included by isa/: inline code there could be compiled with -mavx512f (kernel_table.h).
#ifndef NONLOCAL_KERNEL_RUNTIME_COMMON_H_
#define NONLOCAL_KERNEL_RUNTIME_COMMON_H_

#include <cstdint>

#include "../types.h"

namespace nonlocal {

// ⌈a / b⌉ for a ≥ 0, b > 0.
inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// x rounded up to a multiple of m (x ≥ 0, m > 0).
inline int64_t RoundUp(int64_t x, int64_t m) { return CeilDiv(x, m) * m; }

inline KernelOutcome Fail(Status status, const char* message) { return KernelOutcome{status, message}; }
inline KernelOutcome Ok() { return KernelOutcome{Status::kOk, nullptr}; }

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_COMMON_H_
