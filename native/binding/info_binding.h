// N-API entry points that report (and, for tests, switch) which kernel runs.
#ifndef NONLOCAL_BINDING_INFO_BINDING_H_
#define NONLOCAL_BINDING_INFO_BINDING_H_

#include <napi.h>

namespace nonlocal_binding {

// { isa, isas, openmp, maxThreads }
Napi::Value NativeInfo(const Napi::CallbackInfo& info);
// selectIsa(name) → boolean: makes `name` the kernel for later calls, if this CPU supports it.
Napi::Value SelectIsa(const Napi::CallbackInfo& info);
// measureFmaPeak(threads, seconds, isa) → GFLOP/s of FP32 FMAs with the named kernel's vectors.
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info);
// expForTesting(input, output): output[i] = exp(input[i]) through the active kernel's vector exp.
Napi::Value ExpForTesting(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_INFO_BINDING_H_
