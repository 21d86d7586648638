#include "tensor_args.h"

#include <cmath>
#include <string>
#include <vector>

namespace nonlocal_binding {

namespace {

// The data and length of a typed array of element type `want`, in one napi_get_typedarray_info call
// (the node-addon-api wrappers ask for it again in each accessor). False if `value` is no typed
// array or one of another type.
bool TypedArrayOf(const Napi::Env& env, const Napi::Value& value, napi_typedarray_type want,
                  void** data, int64_t* length) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return false;
  napi_typedarray_type type{};
  size_t elements = 0;
  napi_value buffer = nullptr;
  size_t byte_offset = 0;
  if (napi_get_typedarray_info(env, value, &type, &elements, data, &buffer, &byte_offset) != napi_ok)
    return false;
  *length = static_cast<int64_t>(elements);
  return type == want;
}

// Property keys, made once per environment: the V8 strings live in a JS array held by a reference
// (Node-API before version 10 refuses references to strings themselves), at the index of their
// literal's address in `literals`. Fetching an element is far cheaper than internalizing a name.
struct PropertyKeys {
  Napi::Reference<Napi::Array> names;
  std::vector<const char*> literals;
};

}  // namespace

Napi::Value Property(const Napi::Object& obj, const char* key) {
  const Napi::Env env = obj.Env();
  auto* cache = env.GetInstanceData<PropertyKeys>();
  if (cache == nullptr) {
    cache = new PropertyKeys{Napi::Persistent(Napi::Array::New(env)), {}};
    // The addon's only instance data; node-addon-api deletes it with the environment.
    env.SetInstanceData(cache);
  }
  uint32_t index = 0;
  while (index < cache->literals.size() && cache->literals[index] != key) ++index;
  Napi::Array names = cache->names.Value();
  if (index == cache->literals.size()) {
    names.Set(index, Napi::String::New(env, key));
    cache->literals.push_back(key);
  }
  return obj.Get(names.Get(index));
}

FloatView RequireFloat32Array(const Napi::Env& env, const Napi::Value& value, const char* name) {
  void* data = nullptr;
  int64_t length = 0;
  if (!TypedArrayOf(env, value, napi_float32_array, &data, &length))
    throw Napi::TypeError::New(env, std::string(name) + " must be a Float32Array");
  // A detached buffer reports length 0 and no data; the length checks reject it.
  return FloatView{static_cast<float*>(data), length};
}

ByteView RequireUint8Array(const Napi::Env& env, const Napi::Value& value, const char* name) {
  void* data = nullptr;
  int64_t length = 0;
  if (!TypedArrayOf(env, value, napi_uint8_array, &data, &length))
    throw Napi::TypeError::New(env, std::string(name) + " must be a Uint8Array");
  return ByteView{static_cast<const uint8_t*>(data), length};
}

const int32_t* OptionalCancelFlag(const Napi::Env& env, const Napi::Object& obj, const char* key) {
  Napi::Value v = Property(obj, key);
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      v.As<Napi::Int32Array>().ElementLength() != 1)
    throw Napi::TypeError::New(env, std::string("descriptor.") + key + " must be an Int32Array of length 1");
  return v.As<Napi::Int32Array>().Data();
}

int64_t RequireInteger(const Napi::Env& env, const Napi::Object& obj, const char* key, int64_t min,
                       int64_t max, const char* what) {
  Napi::Value v = Property(obj, key);
  if (!v.IsNumber())
    throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a number");
  return CheckInteger(env, v.As<Napi::Number>().DoubleValue(), key, min, max, what);
}

int64_t CheckInteger(const Napi::Env& env, double d, const char* key, int64_t min, int64_t max,
                     const char* what) {
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
      d > static_cast<double>(max))
    throw Napi::RangeError::New(env, std::string(what) + "." + key + " must be an integer in [" +
                                         std::to_string(min) + ", " + std::to_string(max) +
                                         "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double RequireNumber(const Napi::Env& env, const Napi::Object& obj, const char* key, const char* what) {
  Napi::Value v = Property(obj, key);
  if (!v.IsNumber())
    throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

const double* RequireNumbers(const Napi::Env& env, const Napi::Object& obj, const char* key,
                             int64_t count, const char* what) {
  void* data = nullptr;
  int64_t length = 0;
  if (!TypedArrayOf(env, Property(obj, key), napi_float64_array, &data, &length) || length != count)
    throw Napi::TypeError::New(env, std::string(what) + "." + key + " must be a Float64Array of " +
                                        std::to_string(count) + " numbers");
  return static_cast<const double*>(data);
}

int64_t CheckedProduct(std::initializer_list<int64_t> factors) {
  int64_t total = 1;
  for (int64_t f : factors)
    if (__builtin_mul_overflow(total, f, &total)) return -1;
  return total;
}

void ThrowLengthError(const Napi::Env& env, int64_t actual, int64_t expected, const char* name,
                      const std::string& shape) {
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
