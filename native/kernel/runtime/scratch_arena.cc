#include "scratch_arena.h"

#include <new>

#include "memory_advice.h"

namespace nonlocal {
namespace {

constexpr size_t kRetainCap = size_t{64} << 20;  // keep at most 64 MB per thread and slot

unsigned char* Allocate(size_t bytes) noexcept {
  void* p = ::operator new(bytes, std::align_val_t{64}, std::nothrow);
  if (p != nullptr) AdviseHugePages(p, bytes);
  return static_cast<unsigned char*>(p);
}

void Release(unsigned char* p) noexcept {
  if (p != nullptr) ::operator delete(p, std::align_val_t{64});
}

struct Arena {
  unsigned char* data = nullptr;
  size_t size = 0;
  ~Arena() { Release(data); }
};

Arena& ArenaFor(ArenaSlot slot) noexcept {
  thread_local Arena arenas[kArenaSlots];
  return arenas[static_cast<int>(slot)];
}

}  // namespace

ScratchLease::ScratchLease(ArenaSlot slot, size_t bytes, size_t limit) noexcept
    : data_(nullptr), owned_(false) {
  if (bytes > limit) return;
  if (bytes == 0) bytes = 64;
  bytes = (bytes + 63) / 64 * 64;
  if (bytes > kRetainCap) {
    data_ = Allocate(bytes);
    owned_ = true;
    return;
  }
  Arena& arena = ArenaFor(slot);
  if (arena.size < bytes) {
    Release(arena.data);
    arena.data = Allocate(bytes);
    arena.size = arena.data != nullptr ? bytes : 0;
  }
  data_ = arena.data;
}

ScratchLease::~ScratchLease() {
  if (owned_) Release(data_);
}

}  // namespace nonlocal
