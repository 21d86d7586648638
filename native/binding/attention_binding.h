// N-API entry points of the fused operator: a synchronous call and a Promise-returning one that
// runs on the libuv thread pool.
#ifndef NONLOCAL_BINDING_ATTENTION_BINDING_H_
#define NONLOCAL_BINDING_ATTENTION_BINDING_H_

#include <napi.h>

namespace nonlocal_binding {

Napi::Value AttentionSync(const Napi::CallbackInfo& info);
Napi::Value AttentionAsync(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_ATTENTION_BINDING_H_
