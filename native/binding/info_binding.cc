#include "info_binding.h"

#include <string>

#include "../kernel/dispatch.h"
#include "../kernel/peak.h"
#include "../kernel/cache_info.h"
#include "../kernel/types.h"

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
  const nonlocal::CacheSizes& caches = nonlocal::HostCaches();
  Napi::Object cache = Napi::Object::New(env);
  cache.Set("l1d", static_cast<double>(caches.l1d));
  cache.Set("l2", static_cast<double>(caches.l2));
  cache.Set("l3", static_cast<double>(caches.l3));
  cache.Set("source", caches.source);
  result.Set("caches", cache);
#ifdef _OPENMP
  result.Set("openmp", true);
  result.Set("maxThreads", omp_get_max_threads());
#else
  result.Set("openmp", false);
  result.Set("maxThreads", 1);
#endif
  return result;
}

Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsString())
    throw Napi::TypeError::New(env, "measureFmaPeak(threads, seconds, isa) takes two numbers and a string");
  const double threads = info[0].As<Napi::Number>().DoubleValue();
  const double seconds = info[1].As<Napi::Number>().DoubleValue();
  if (!(threads >= 1 && threads <= nonlocal::kMaxThreads) || !(seconds > 0 && seconds <= 10))
    throw Napi::RangeError::New(env, "measureFmaPeak: threads must be in [1, " + std::to_string(nonlocal::kMaxThreads) +
                                         "] and seconds in (0, 10]");
  const std::string isa = info[2].As<Napi::String>().Utf8Value();
  const nonlocal::KernelTable* table = nonlocal::SupportedKernelTable(isa.c_str());
  if (table == nullptr) throw Napi::RangeError::New(env, "measureFmaPeak: this CPU cannot run the kernel '" + isa + "'");
  return Napi::Number::New(env, nonlocal::MeasureFmaPeak(*table, static_cast<int>(threads), seconds));
}

}  // namespace nonlocal_binding
