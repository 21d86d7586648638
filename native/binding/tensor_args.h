// Reading JS arguments into plain C++ values, with the cheap checks that keep memory safe even
// when the TypeScript layer is bypassed: exact typed-array types, integer dimensions, exact
// lengths. Messages name the argument. No maths here.
#ifndef NONLOCAL_BINDING_TENSOR_ARGS_H_
#define NONLOCAL_BINDING_TENSOR_ARGS_H_

#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>

namespace nonlocal_binding {

// A raw view of a typed array's elements (byte offset already applied; works for
// SharedArrayBuffer-backed arrays, whose ArrayBuffer() cannot be queried).
struct FloatView {
  float* data;
  int64_t length;
};
struct ByteView {
  const uint8_t* data;
  int64_t length;
};

FloatView RequireFloat32Array(const Napi::Env& env, const Napi::Value& value, const char* name);
ByteView RequireUint8Array(const Napi::Env& env, const Napi::Value& value, const char* name);

// obj[key], the key made a V8 string once per environment: napi_get_named_property turns its C
// string into an internalized V8 string on every call, a string-table lookup per field — most of
// the binding's cost on a tiny call. `key` must be a string literal (cached by its address).
Napi::Value Property(const Napi::Object& obj, const char* key);

// obj[key]: null/undefined → nullptr, else an Int32Array of length 1 (a cancel flag).
const int32_t* OptionalCancelFlag(const Napi::Env& env, const Napi::Object& obj, const char* key);

// obj[key] as an integer in [min, max]; TypeError / RangeError naming `what.key` otherwise.
int64_t RequireInteger(const Napi::Env& env, const Napi::Object& obj, const char* key, int64_t min,
                       int64_t max, const char* what);
// `value` as an integer in [min, max]; RangeError naming `what.key` otherwise.
int64_t CheckInteger(const Napi::Env& env, double value, const char* key, int64_t min, int64_t max,
                     const char* what);

// obj[key] as a Float64Array of exactly `count` numbers: a descriptor's numeric fields packed in a
// fixed order, read with one typed-array lookup instead of one property lookup each.
const double* RequireNumbers(const Napi::Env& env, const Napi::Object& obj, const char* key,
                             int64_t count, const char* what);
double RequireNumber(const Napi::Env& env, const Napi::Object& obj, const char* key, const char* what);

// a·b·…, or -1 when the product overflows int64.
int64_t CheckedProduct(std::initializer_list<int64_t> factors);

[[noreturn]] void ThrowLengthError(const Napi::Env& env, int64_t actual, int64_t expected,
                                   const char* name, const std::string& shape);

// RangeError unless actual == expected (expected < 0: an overflowed product). `shape()` gives the
// expected shape's text, built only for the message.
template <typename ShapeText>
void RequireLength(const Napi::Env& env, int64_t actual, int64_t expected, const char* name,
                   const ShapeText& shape) {
  if (expected < 0 || actual != expected) ThrowLengthError(env, actual, expected, name, shape());
}

// True when [a, a+na) and [b, b+nb) share a byte.
bool Overlaps(const void* a, int64_t na, const void* b, int64_t nb);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_TENSOR_ARGS_H_
