// Module registration only: every function lives in native/binding/.
#include <napi.h>

#include "binding/aligned_array_binding.h"
#include "binding/attention_binding.h"
#include "binding/block_binding.h"
#include "binding/info_binding.h"
#include "binding/test_hooks.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, nonlocal_binding::AttentionSync, "attention"));
  exports.Set("attentionAsync",
              Napi::Function::New(env, nonlocal_binding::AttentionAsync, "attentionAsync"));
  exports.Set("nonLocalBlock", Napi::Function::New(env, nonlocal_binding::BlockSync, "nonLocalBlock"));
  exports.Set("nonLocalBlockAsync",
              Napi::Function::New(env, nonlocal_binding::BlockAsync, "nonLocalBlockAsync"));
  exports.Set("info", Napi::Function::New(env, nonlocal_binding::NativeInfo, "info"));
  exports.Set("measureFmaPeak",
              Napi::Function::New(env, nonlocal_binding::MeasureFmaPeak, "measureFmaPeak"));
  exports.Set("alignedFloat32Array",
              Napi::Function::New(env, nonlocal_binding::AlignedFloat32Array, "alignedFloat32Array"));
  // selectIsa, expForTesting, addressAlignmentForTesting: kept in the production addon because the
  // jest suites run every kernel path through them (test_hooks.h).
  nonlocal_binding::RegisterTestHooks(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(nonlocal_affinity, Init)
