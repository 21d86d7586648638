// Turns the descriptor object the TypeScript layer builds into a nonlocal::AttentionProblem,
// re-checking everything that guards memory: types, integer dimensions, exact lengths, no
// aliasing between the output and the inputs.
#ifndef NONLOCAL_BINDING_ATTENTION_ARGS_H_
#define NONLOCAL_BINDING_ATTENTION_ARGS_H_

#include <napi.h>

#include "../kernel/attention.h"

namespace nonlocal_binding {

struct AttentionCall {
  nonlocal::AttentionProblem problem;
  int threads;
};

// info: (query, key, value, out, descriptor)
//   descriptor: { sizes: Float64Array [layout (0 = [B, N, H·d], rank 2/3, heads split the last
//                                         axis; 1 = [B, H, N, d]), batch, heads, queries, keys,
//                                         keyWidth, valueWidth, affinity (0..3), threads, scale],
//                 mask (Uint8Array [B·M] | null), concatQuery, concatKey (Float32Array [dk] | null),
//                 cancel (Int32Array [1], optional) }
AttentionCall ParseAttentionCall(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_ATTENTION_ARGS_H_
