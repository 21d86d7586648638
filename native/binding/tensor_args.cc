#include "tensor_args.h"

#include <cmath>
#include <string>

namespace nonlocal_binding {

FloatView RequireFloat32Array(const Napi::Env& env, const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array");
  Napi::Float32Array array = value.As<Napi::Float32Array>();
  // A detached buffer reports length 0 and no data; the length checks reject it.
  return FloatView{array.Data(), static_cast<int64_t>(array.ElementLength())};
}

ByteView RequireUint8Array(const Napi::Env& env, const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, std::string(name) + " must be a Uint8Array");
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  return ByteView{array.Data(), static_cast<int64_t>(array.ElementLength())};
}

const int32_t* OptionalCancelFlag(const Napi::Env& env, const Napi::Object& obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::Int32Array>().ElementLength() != 1)
    throw Napi::TypeError::New(env, std::string("descriptor.") + key + " must be an Int32Array of length 1");
  return v.As<Napi::Int32Array>().Data();
}

int64_t RequireInteger(const Napi::Env& env, const Napi::Object& obj, const char* key, int64_t min,
                       int64_t max, const char* what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber())
    throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max))
    throw Napi::RangeError::New(env, std::string(what) + "." + key + " must be an integer in [" +
                                         std::to_string(min) + ", " + std::to_string(max) +
                                         "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double RequireNumber(const Napi::Env& env, const Napi::Object& obj, const char* key, const char* what) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber())
    throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t CheckedProduct(std::initializer_list<int64_t> factors) {
  int64_t total = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(total, f, &total)) return -1;
  return total;
}

void RequireLength(const Napi::Env& env, int64_t actual, int64_t expected, const char* name,
                   const std::string& shape) {
  if (expected < 0 || actual != expected)
    throw Napi::RangeError::New(env, std::string(name) + " has " + std::to_string(actual) +
                                         " elements but its shape " + shape + " needs " +
                                         (expected < 0 ? std::string("more than 2^63")
                                                       : std::to_string(expected)));
}

bool Overlaps(const void* a, int64_t na, const void* b, int64_t nb) {
  const auto pa = reinterpret_cast<uintptr_t>(a);
  const auto pb = reinterpret_cast<uintptr_t>(b);
  return pa < pb + static_cast<uintptr_t>(nb) && pb < pa + static_cast<uintptr_t>(na);
}

}  // namespace nonlocal_binding
