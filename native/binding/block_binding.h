// N-API entry points of the whole non-local block: synchronous and Promise-returning.
#ifndef NONLOCAL_BINDING_BLOCK_BINDING_H_
#define NONLOCAL_BINDING_BLOCK_BINDING_H_

#include <napi.h>

namespace nonlocal_binding {

Napi::Value BlockSync(const Napi::CallbackInfo& info);
Napi::Value BlockAsync(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_BLOCK_BINDING_H_
