// The data cache sizes the blocking follows, read once from the machine: Linux's sysfs (what the
// kernel found), macOS's sysctl, else cpuid's deterministic cache leaves (leaf 4 on Intel,
// 0x8000001D on AMD), else defaults: on x86 the sizes the constants were first tuned for (48 KiB
// L1d, 1 MiB L2, 32 MiB L3), on arm64 Neoverse N1/V1's (64 KiB, 1 MiB, 32 MiB).
#ifndef NONLOCAL_KERNEL_CACHE_INFO_H_
#define NONLOCAL_KERNEL_CACHE_INFO_H_

#include <cstdint>

namespace nonlocal {

struct CacheSizes {
  int64_t l1d;         // bytes of level-1 data cache of one core
  int64_t l2;          // bytes of level-2 cache of one core
  int64_t l3;          // bytes of the last-level cache (shared)
  const char* source;  // "sysfs" | "sysctl" | "cpuid" | "default"
};

// The sizes of the CPU this process runs on (cpu 0's), detected on the first call.
const CacheSizes& HostCaches() noexcept;

// "48K", "2048K", "32M", "1G" or a plain byte count → bytes; 0 when `text` is none of these.
int64_t ParseCacheSize(const char* text) noexcept;

// Fills whatever levels cpuid's deterministic cache leaf `leaf` (4 or 0x8000001D) describes;
// false where that leaf does not exist on this CPU (or off x86).
bool CachesFromCpuid(uint32_t leaf, CacheSizes* out) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_CACHE_INFO_H_
