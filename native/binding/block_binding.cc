#include "block_binding.h"

#include "../kernel/block.h"
#include "block_args.h"
#include "kernel_worker.h"

namespace nonlocal_binding {

Napi::Value BlockSync(const Napi::CallbackInfo& info) {
  const BlockCall call = ParseBlockCall(info);
  const nonlocal::KernelOutcome outcome = nonlocal::RunNonLocalBlock(call.problem, call.threads);
  if (outcome.status != nonlocal::Status::kOk) throw KernelError(info.Env(), outcome);
  return info[1];
}

Napi::Value BlockAsync(const Napi::CallbackInfo& info) {
  const BlockCall call = ParseBlockCall(info);
  // info[2], the descriptor, is held too: it references every weight array.
  return KernelWorker::Start(info, 1, [call] { return nonlocal::RunNonLocalBlock(call.problem, call.threads); });
}

}  // namespace nonlocal_binding
