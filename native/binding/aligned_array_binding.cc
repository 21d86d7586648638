#include "aligned_array_binding.h"

#include <cstdint>

#include "tensor_args.h"

namespace nonlocal_binding {
namespace {

// Float32Array's own limit on this V8 is far above this; 2^31 floats (8 GiB) is plenty.
constexpr double kMaxLength = 2147483648.0;

}  // namespace

Napi::Value AlignedFloat32Array(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "alignedFloat32Array(length) takes one number");
  const double requested = info[0].As<Napi::Number>().DoubleValue();
  if (!(requested >= 0 && requested <= kMaxLength) || requested != static_cast<double>(static_cast<int64_t>(requested)))
    throw Napi::RangeError::New(env, "alignedFloat32Array: length must be an integer in [0, 2^31]");
  const size_t length = static_cast<size_t>(requested);
  // New ArrayBuffers are zero-filled; the slack lets the view start on the next boundary.
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, length * sizeof(float) + kArrayAlignment);
  const uintptr_t address = reinterpret_cast<uintptr_t>(buffer.Data());
  const size_t offset = (kArrayAlignment - address % kArrayAlignment) % kArrayAlignment;
  if (offset % sizeof(float) != 0)  // no allocator returns less than 4-byte alignment; be sure
    throw Napi::Error::New(env, "alignedFloat32Array: the ArrayBuffer is not float-aligned");
  return Napi::Float32Array::New(env, length, buffer, offset);
}

}  // namespace nonlocal_binding
