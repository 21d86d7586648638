// Cutting one scratch lease (scratch_arena.h) into 64-byte aligned pieces, in order. A caller
// writes its carving once and runs it twice: on a measuring carver (no base) to learn how many
// bytes to lease, then on the lease itself — so the size and the layout cannot disagree.
#ifndef NONLOCAL_KERNEL_RUNTIME_SCRATCH_CARVER_H_
#define NONLOCAL_KERNEL_RUNTIME_SCRATCH_CARVER_H_

#include <cstdint>

#include "common.h"

namespace nonlocal {

class ScratchCarver {
 public:
  static constexpr int64_t kAlignment = 64;  // a cache line, and one zmm

  ScratchCarver() : base_(nullptr), used_(0) {}  // measuring: every piece is nullptr
  explicit ScratchCarver(unsigned char* base) : base_(base), used_(0) {}

  // `count` elements, 64-byte aligned; nullptr for count ≤ 0 (and when measuring).
  float* Floats(int64_t count) { return reinterpret_cast<float*>(Take(4 * count)); }
  const float** Pointers(int64_t count) {
    return reinterpret_cast<const float**>(Take(static_cast<int64_t>(sizeof(const float*)) * count));
  }
  int64_t* Indices(int64_t count) { return reinterpret_cast<int64_t*>(Take(8 * count)); }
  // Bytes carved so far: a multiple of 64.
  int64_t bytes() const { return used_; }

 private:
  unsigned char* Take(int64_t bytes) {
    unsigned char* p = bytes > 0 && base_ != nullptr ? base_ + used_ : nullptr;
    used_ += RoundUp(bytes > 0 ? bytes : 0, kAlignment);
    return p;
  }
  unsigned char* base_;
  int64_t used_;
};

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_SCRATCH_CARVER_H_
