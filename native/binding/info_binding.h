// N-API entry points that report which kernel runs and measure the machine's FMA peak (the test
// hooks that switch kernels are in test_hooks.h).
#ifndef NONLOCAL_BINDING_INFO_BINDING_H_
#define NONLOCAL_BINDING_INFO_BINDING_H_

#include <napi.h>

namespace nonlocal_binding {

// { isa, isas, openmp, maxThreads }
Napi::Value NativeInfo(const Napi::CallbackInfo& info);
// measureFmaPeak(threads, seconds, isa) → GFLOP/s of FP32 FMAs with the named kernel's vectors.
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_INFO_BINDING_H_
