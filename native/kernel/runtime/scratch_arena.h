// Per-thread, grow-only scratch memory. A block call needs a few MB of scratch; allocating it
// fresh every call makes the OS fault in (and zero) every page again — about a thousand page
// faults for 4 MB, which on small blocks costs more than the arithmetic. Reusing the same pages
// on the same thread removes that. Requests above the retention cap are served fresh and released
// by the caller's Lease, so a one-off huge call does not pin memory forever.
#ifndef NONLOCAL_KERNEL_RUNTIME_SCRATCH_ARENA_H_
#define NONLOCAL_KERNEL_RUNTIME_SCRATCH_ARENA_H_

#include <cstddef>

namespace nonlocal {

// No call may ask for more scratch than this: past it the kernels fail with kOutOfMemory before
// allocating (with Linux overcommit a huge allocation can "succeed" and the process be killed
// later, when the pages are touched).
constexpr size_t kMaxScratchBytes = size_t{1} << 30;

// One slot per lease that can be alive at the same time as another.
enum class ArenaSlot : int { kAttention = 0, kBlock = 1, kPack = 2, kHeadMajor = 3, kKeyCopy = 4,
                             kValueCopy = 5 };
constexpr int kArenaSlots = 6;

// 64-byte aligned scratch of at least `bytes`, valid until the Lease ends. nullptr data = no
// memory, or a request over `limit`.
class ScratchLease {
 public:
  ScratchLease(ArenaSlot slot, size_t bytes, size_t limit = kMaxScratchBytes) noexcept;
  ~ScratchLease();
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  unsigned char* data() const { return data_; }

 private:
  unsigned char* data_;
  bool owned_;  // a fresh allocation over the cap, freed by this lease
};

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_SCRATCH_ARENA_H_
