// N-API entry points for cache-line aligned Float32Arrays. V8 places an ArrayBuffer's bytes where
// the allocator puts them (16-byte aligned with glibc), so a 64-float weight panel would straddle
// two cache lines and every 64-byte vector load of it would split in two (docs/performance.md has
// what that cost). Arrays the package allocates for the kernel's long-lived operands (the packed
// block weights) come from here instead.
#ifndef NONLOCAL_BINDING_ALIGNED_ARRAY_BINDING_H_
#define NONLOCAL_BINDING_ALIGNED_ARRAY_BINDING_H_

#include <napi.h>

#include <cstddef>

namespace nonlocal_binding {

constexpr size_t kArrayAlignment = 64;  // one cache line, one AVX-512 vector

// alignedFloat32Array(length) → a zero-filled Float32Array of `length` whose first element sits on
// a 64-byte boundary: a view into a slightly larger ArrayBuffer (so byteOffset may be nonzero).
Napi::Value AlignedFloat32Array(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_ALIGNED_ARRAY_BINDING_H_
