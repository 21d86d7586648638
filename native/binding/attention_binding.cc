#include "attention_binding.h"

#include <string>

#include "../kernel/attention.h"
#include "attention_args.h"

namespace nonlocal_binding {
namespace {

Napi::Error KernelError(const Napi::Env& env, const nonlocal::KernelOutcome& outcome) {
  const std::string message = std::string("nonlocal-affinity kernel: ") + outcome.message;
  if (outcome.status == nonlocal::Status::kOutOfMemory) return Napi::RangeError::New(env, message);
  return Napi::TypeError::New(env, message);
}

// Runs one call on a libuv worker. Execute() touches no JS value: the problem holds raw pointers,
// and the references below keep every typed array (and so its memory) alive until the promise
// settles.
class AttentionWorker : public Napi::AsyncWorker {
 public:
  AttentionWorker(const Napi::CallbackInfo& info, const AttentionCall& call)
      : Napi::AsyncWorker(info.Env(), "nonlocal-affinity:attention"),
        deferred_(Napi::Promise::Deferred::New(info.Env())),
        call_(call),
        outcome_{nonlocal::Status::kOk, nullptr} {
    for (size_t i = 0; i < 4; ++i) arrays_[i] = Napi::Persistent(info[i].As<Napi::Object>());
    descriptor_ = Napi::Persistent(info[4].As<Napi::Object>());  // holds mask and concat weights
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    outcome_ = nonlocal::RunAttention(call_.problem, call_.threads);
    if (outcome_.status != nonlocal::Status::kOk) SetError(outcome_.message);
  }
  void OnOK() override { deferred_.Resolve(arrays_[3].Value()); }
  void OnError(const Napi::Error&) override {
    deferred_.Reject(KernelError(Env(), outcome_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  AttentionCall call_;
  nonlocal::KernelOutcome outcome_;
  Napi::ObjectReference arrays_[4];
  Napi::ObjectReference descriptor_;
};

}  // namespace

Napi::Value AttentionSync(const Napi::CallbackInfo& info) {
  const AttentionCall call = ParseAttentionCall(info);
  const nonlocal::KernelOutcome outcome = nonlocal::RunAttention(call.problem, call.threads);
  if (outcome.status != nonlocal::Status::kOk) throw KernelError(info.Env(), outcome);
  return info[3];
}

Napi::Value AttentionAsync(const Napi::CallbackInfo& info) {
  const AttentionCall call = ParseAttentionCall(info);
  auto* worker = new AttentionWorker(info, call);  // deleted by node-addon-api after OnOK/OnError
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace nonlocal_binding
