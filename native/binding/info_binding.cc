#include "info_binding.h"

#include <string>

#include "../kernel/dispatch.h"
#include "../kernel/peak.h"
#include "tensor_args.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal_binding {

Napi::Value NativeInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("isa", nonlocal::ActiveKernelTable()->name);
  const char* names[3] = {nullptr, nullptr, nullptr};
  const int count = nonlocal::SupportedIsas(names);
  Napi::Array isas = Napi::Array::New(env, static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) isas.Set(static_cast<uint32_t>(i), names[i]);
  result.Set("isas", isas);
#ifdef _OPENMP
  result.Set("openmp", true);
  result.Set("maxThreads", omp_get_max_threads());
#else
  result.Set("openmp", false);
  result.Set("maxThreads", 1);
#endif
  return result;
}

Napi::Value SelectIsa(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString())
    throw Napi::TypeError::New(env, "selectIsa(name) takes one string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  return Napi::Boolean::New(env, nonlocal::SelectIsa(name.c_str()));
}

Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    throw Napi::TypeError::New(env, "measureFmaPeak(threads, seconds, isa) takes two numbers and a string");
  const double threads = info[0].As<Napi::Number>().DoubleValue();
  const double seconds = info[1].As<Napi::Number>().DoubleValue();
  if (!(threads >= 1 && threads <= 1024) || !(seconds > 0 && seconds <= 10))
    throw Napi::RangeError::New(env, "measureFmaPeak: threads must be in [1, 1024] and seconds in (0, 10]");
  const std::string isa = info[2].As<Napi::String>().Utf8Value();
  const nonlocal::KernelTable* table = nonlocal::SupportedKernelTable(isa.c_str());
  if (table == nullptr) throw Napi::RangeError::New(env, "measureFmaPeak: this CPU cannot run the kernel '" + isa + "'");
  return Napi::Number::New(env, nonlocal::MeasureFmaPeak(*table, static_cast<int>(threads), seconds));
}

Napi::Value ExpForTesting(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 2) throw Napi::TypeError::New(env, "expForTesting(input, output) takes 2 arguments");
  const FloatView in = RequireFloat32Array(env, info[0], "input");
  const FloatView out = RequireFloat32Array(env, info[1], "output");
  RequireLength(env, out.length, in.length, "output", "[" + std::to_string(in.length) + "]");
  nonlocal::ActiveKernelTable()->exp_array(in.data, out.data, in.length);
  return info[1];
}

}  // namespace nonlocal_binding
