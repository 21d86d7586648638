// Turns the descriptor the TypeScript layer builds into a nonlocal::BlockProblem, re-checking
// everything that guards memory: types, integer dimensions, exact lengths of x, out and every
// weight array, and that out shares no memory with any input.
#ifndef NONLOCAL_BINDING_BLOCK_ARGS_H_
#define NONLOCAL_BINDING_BLOCK_ARGS_H_

#include <napi.h>

#include "../kernel/block.h"

namespace nonlocal_binding {

struct BlockCall {
  nonlocal::BlockProblem problem;
  int threads;
};

// info: (x, out, descriptor)
//   descriptor: { batch, channels, inter, t, h, w, poolT, poolH, poolW, poolBeforeConv, affinity,
//                 scale, wx, bx, wp, bp (Float32Array | null), outWt, outB, concatTheta,
//                 concatPhi (Float32Array | null), threads }
BlockCall ParseBlockCall(const Napi::CallbackInfo& info);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_BLOCK_ARGS_H_
