#include "attention_binding.h"

#include "../kernel/attention.h"
#include "attention_args.h"
#include "kernel_worker.h"

namespace nonlocal_binding {

Napi::Value AttentionSync(const Napi::CallbackInfo& info) {
  const AttentionCall call = ParseAttentionCall(info);
  const nonlocal::KernelOutcome outcome = nonlocal::RunAttention(call.problem, call.threads);
  if (outcome.status != nonlocal::Status::kOk) throw KernelError(info.Env(), outcome);
  return info[3];
}

Napi::Value AttentionAsync(const Napi::CallbackInfo& info) {
  const AttentionCall call = ParseAttentionCall(info);
  // info[4], the descriptor, is held too: it references the mask and concatenation weights.
  return KernelWorker::Start(info, 3, [call] { return nonlocal::RunAttention(call.problem, call.threads); });
}

}  // namespace nonlocal_binding
