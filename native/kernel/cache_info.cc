#include "cache_info.h"

#include <cctype>
#include <cstdio>
#include <cstring>

#include "runtime/cpuid.h"
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace nonlocal {
namespace {

#if defined(__aarch64__) || defined(_M_ARM64)
constexpr CacheSizes kDefaults{64 << 10, 1 << 20, 32 << 20, "default"};  // Neoverse N1 / V1
#else
constexpr CacheSizes kDefaults{48 << 10, 1 << 20, 32 << 20, "default"};
#endif

// Stores a data or unified cache of `level`; false for a level the blocking does not use.
[[maybe_unused]] bool Record(int level, int64_t bytes, CacheSizes* out) {
  if (bytes <= 0) return false;
  if (level == 1) out->l1d = bytes;
  else if (level == 2) out->l2 = bytes;
  else if (level == 3) out->l3 = bytes;
  else return false;
  return true;
}

#if defined(__linux__)
// One sysfs value of /sys/devices/system/cpu/cpu0/cache/index<i>/<name>, without its newline.
bool ReadSysfs(int index, const char* name, char* out, size_t size) {
  char path[96];
  std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/%s", index, name);
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  const bool ok = std::fgets(out, static_cast<int>(size), f) != nullptr;
  std::fclose(f);
  if (!ok) return false;
  out[std::strcspn(out, "\n")] = '\0';
  return true;
}

// Every index: its level, its type (Data, Instruction, Unified) and its size.
bool CachesFromSysfs(CacheSizes* out) {
  bool any = false;
  for (int i = 0; i < 16; ++i) {
    char level[16], type[32], size[32];
    if (!ReadSysfs(i, "level", level, sizeof level) || !ReadSysfs(i, "type", type, sizeof type) ||
        !ReadSysfs(i, "size", size, sizeof size))
      break;
    if (std::strcmp(type, "Instruction") == 0) continue;
    const int lv = level[1] == '\0' ? level[0] - '0' : 0;
    if (Record(lv, ParseCacheSize(size), out)) any = true;
  }
  return any;
}
#endif

#if defined(__APPLE__)
// hw.l1dcachesize, hw.l2cachesize (and hw.l3cachesize where there is one), in bytes.
bool CachesFromSysctl(CacheSizes* out) {
  bool any = false;
  const char* const names[3] = {"hw.l1dcachesize", "hw.l2cachesize", "hw.l3cachesize"};
  for (int level = 1; level <= 3; ++level) {
    int64_t bytes = 0;
    size_t size = sizeof bytes;
    if (sysctlbyname(names[level - 1], &bytes, &size, nullptr, 0) == 0 && size == sizeof bytes &&
        Record(level, bytes, out))
      any = true;
  }
  return any;
}
#endif

CacheSizes Detect() {
  CacheSizes c = kDefaults;
#if defined(__linux__)
  if (CachesFromSysfs(&c)) {
    c.source = "sysfs";
    return c;
  }
#endif
#if defined(__APPLE__)
  if (CachesFromSysctl(&c)) {
    c.source = "sysctl";
    return c;
  }
#endif
  if (CachesFromCpuid(4, &c) || CachesFromCpuid(0x8000001D, &c)) {
    c.source = "cpuid";
    return c;
  }
  return kDefaults;
}

}  // namespace

int64_t ParseCacheSize(const char* text) noexcept {
  if (text == nullptr || !std::isdigit(static_cast<unsigned char>(text[0]))) return 0;
  int64_t n = 0;
  const char* p = text;
  for (; std::isdigit(static_cast<unsigned char>(*p)); ++p) {
    if (n > (int64_t{1} << 40)) return 0;
    n = n * 10 + (*p - '0');
  }
  int64_t unit = 1;
  if (*p == 'K') unit = int64_t{1} << 10, ++p;
  else if (*p == 'M') unit = int64_t{1} << 20, ++p;
  else if (*p == 'G') unit = int64_t{1} << 30, ++p;
  return *p == '\0' ? n * unit : 0;
}

bool CachesFromCpuid(uint32_t leaf, CacheSizes* out) noexcept {
#if defined(NONLOCAL_HAVE_X86_KERNELS)
  uint32_t r[4];
  Cpuid(leaf & 0x80000000u, 0, r);  // the highest basic or extended leaf
  if (r[0] < leaf) return false;
  bool any = false;
  for (uint32_t sub = 0; sub < 16; ++sub) {
    Cpuid(leaf, sub, r);
    const uint32_t type = r[0] & 0x1F;  // 0: no more caches, 1: data, 2: instruction, 3: unified
    if (type == 0) break;
    if (type == 2) continue;
    const uint32_t level = (r[0] >> 5) & 0x7;
    // size = ways · partitions · line size · sets, each field stored minus one
    const int64_t bytes = int64_t{((r[1] >> 22) & 0x3FF) + 1} * (((r[1] >> 12) & 0x3FF) + 1) *
                          ((r[1] & 0xFFF) + 1) * (int64_t{r[2]} + 1);
    if (Record(static_cast<int>(level), bytes, out)) any = true;
  }
  return any;
#else
  (void)leaf;
  (void)out;
  return false;
#endif
}

const CacheSizes& HostCaches() noexcept {
  static const CacheSizes caches = Detect();
  return caches;
}

}  // namespace nonlocal
