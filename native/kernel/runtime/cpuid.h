// cpuid, for the dispatch (which instructions) and the cache sizes (how to block). Only defined
// where the x86 kernels are built; compiled with baseline flags like its callers.
#ifndef NONLOCAL_KERNEL_RUNTIME_CPUID_H_
#define NONLOCAL_KERNEL_RUNTIME_CPUID_H_

#if defined(NONLOCAL_HAVE_X86_KERNELS)
#include <cstdint>
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif

namespace nonlocal {

// regs ← EAX, EBX, ECX, EDX of cpuid(leaf, subleaf).
inline void Cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = static_cast<uint32_t>(r[i]);
#else
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

}  // namespace nonlocal

#endif  // NONLOCAL_HAVE_X86_KERNELS
#endif  // NONLOCAL_KERNEL_RUNTIME_CPUID_H_
