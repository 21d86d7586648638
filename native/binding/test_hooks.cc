#include "test_hooks.h"

#include <cstdint>
#include <string>

#include "../kernel/dispatch.h"
#include "aligned_array_binding.h"
#include "tensor_args.h"

namespace nonlocal_binding {
namespace {

// selectIsa(name) → boolean: makes `name` the kernel for later calls, if this CPU supports it.
Napi::Value SelectIsa(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "selectIsa(name) takes one string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(env, nonlocal::SelectIsa(name.c_str()));
}

// expForTesting(input, output, softmax = false): output[i] = exp(input[i]) through the active
// kernel's vector exp, or its softmax exp (for input[i] ≤ 0 only).
Napi::Value ExpForTesting(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() < 2 || info.Length() > 3 || (info.Length() == 3 && !info[2].IsBoolean()))
    throw Napi::TypeError::New(env, "expForTesting(input, output, softmax?) takes 2 arrays and an optional boolean");
  const FloatView in = RequireFloat32Array(env, info[0], "input");
  const FloatView out = RequireFloat32Array(env, info[1], "output");
  RequireLength(env, out.length, in.length, "output", [&] { return "[" + std::to_string(in.length) + "]"; });
  const bool softmax = info.Length() == 3 && info[2].As<Napi::Boolean>().Value();
  nonlocal::ActiveKernelTable()->exp_array(in.data, out.data, in.length, softmax);
  return info[1];
}

// addressAlignmentForTesting(array) → the address of array[0] modulo 64.
Napi::Value AddressAlignmentForTesting(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 1) throw Napi::TypeError::New(env, "addressAlignmentForTesting(array) takes 1 argument");
  const FloatView view = RequireFloat32Array(env, info[0], "array");
  return Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(view.data) % kArrayAlignment));
}

}  // namespace

void RegisterTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("selectIsa", Napi::Function::New(env, SelectIsa, "selectIsa"));
  exports.Set("expForTesting", Napi::Function::New(env, ExpForTesting, "expForTesting"));
  exports.Set("addressAlignmentForTesting",
              Napi::Function::New(env, AddressAlignmentForTesting, "addressAlignmentForTesting"));
}

}  // namespace nonlocal_binding
