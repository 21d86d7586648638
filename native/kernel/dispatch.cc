// Runtime ISA dispatch, in the manner of ONNX Runtime's MLAS platform.cpp: start from the portable
// table and upgrade only when the CPU reports the instructions (cpuid) *and* the OS saves the
// wider register state across context switches (xgetbv). Compiled with baseline flags only.
// On arm64 the levels are scalar and NEON, which every ARMv8-A CPU has (an SVE level would go
// after it, chosen from getauxval(AT_HWCAP) / sysctl).
// Levels are ordered: a higher one is preferred, and NONLOCAL_AFFINITY_ISA may only lower it.
#include "dispatch.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "runtime/cpuid.h"
#if defined(NONLOCAL_HAVE_X86_KERNELS) && defined(_MSC_VER)
#include <intrin.h>  // _xgetbv
#endif

namespace nonlocal {
namespace {

#if defined(NONLOCAL_HAVE_X86_KERNELS)
enum IsaLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
constexpr const char* kLevelNames[] = {"scalar", "avx2", "avx512"};
#elif defined(NONLOCAL_HAVE_NEON_KERNELS)
enum IsaLevel { kScalar = 0, kNeon = 1 };
constexpr const char* kLevelNames[] = {"scalar", "neon"};
#else
enum IsaLevel { kScalar = 0 };
constexpr const char* kLevelNames[] = {"scalar"};
#endif
constexpr int kLevels = static_cast<int>(sizeof kLevelNames / sizeof kLevelNames[0]);

const KernelTable* TableFor(int level) {
#if defined(NONLOCAL_HAVE_X86_KERNELS)
  if (level == kAvx512) return Avx512KernelTable();
  if (level == kAvx2) return Avx2KernelTable();
#elif defined(NONLOCAL_HAVE_NEON_KERNELS)
  if (level == kNeon) return NeonKernelTable();
#endif
  (void)level;
  return ScalarKernelTable();
}

#if defined(NONLOCAL_HAVE_X86_KERNELS)
uint64_t ReadXcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
#endif
}

int DetectBestLevel() {
  uint32_t r[4];
  Cpuid(0, 0, r);
  const uint32_t max_leaf = r[0];
  if (max_leaf < 7) return kScalar;
  Cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1;
  const bool avx = (r[2] >> 28) & 1;
  const bool fma = (r[2] >> 12) & 1;
  if (!osxsave || !avx) return kScalar;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_saves_ymm = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool os_saves_zmm = (xcr0 & 0xE6) == 0xE6;           // + opmask, ZMM_Hi256, Hi16_ZMM
  Cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1;
  const bool avx512f = (r[1] >> 16) & 1;
  if (avx512f && avx2 && fma && os_saves_zmm) return kAvx512;
  if (avx2 && fma && os_saves_ymm) return kAvx2;
  return kScalar;
}
#elif defined(NONLOCAL_HAVE_NEON_KERNELS)
int DetectBestLevel() { return kNeon; }  // Advanced SIMD is mandatory in ARMv8-A
#else
int DetectBestLevel() { return kScalar; }
#endif

int BestLevel() {
  static const int best = DetectBestLevel();
  return best;
}

int LevelOf(const char* name) {
  if (name == nullptr) return -1;
  for (int level = 0; level < kLevels; ++level)
    if (std::strcmp(name, kLevelNames[level]) == 0) return level;
  return -1;
}

// NONLOCAL_AFFINITY_ISA can only lower the level: asking for more than the CPU has is ignored.
int InitialLevel() {
  const int best = BestLevel();
  const int requested = LevelOf(std::getenv("NONLOCAL_AFFINITY_ISA"));
  return requested >= 0 && requested < best ? requested : best;
}

std::atomic<const KernelTable*>& ActiveSlot() {
  static std::atomic<const KernelTable*> slot{TableFor(InitialLevel())};
  return slot;
}

}  // namespace

int SupportedIsas(const char* names[3]) noexcept {
  const int best = BestLevel();
  for (int level = 0; level <= best; ++level) names[level] = TableFor(level)->name;
  return best + 1;
}

const KernelTable* ActiveKernelTable() noexcept { return ActiveSlot().load(std::memory_order_acquire); }

const KernelTable* SupportedKernelTable(const char* name) noexcept {
  const int level = LevelOf(name);
  return level < 0 || level > BestLevel() ? nullptr : TableFor(level);
}

bool SelectIsa(const char* name) noexcept {
  const KernelTable* table = SupportedKernelTable(name);
  if (table == nullptr) return false;
  ActiveSlot().store(table, std::memory_order_release);
  return true;
}

}  // namespace nonlocal
