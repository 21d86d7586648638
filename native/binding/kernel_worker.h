// Runs one kernel call off the event loop (a libuv worker hands it to a kernel thread,
// kernel_threads.h) and settles a Promise with it. Execute() touches no JS
// value: the job captures raw pointers, and the references keep every argument object (and so
// every typed array's memory) alive until the promise settles.
#ifndef NONLOCAL_BINDING_KERNEL_WORKER_H_
#define NONLOCAL_BINDING_KERNEL_WORKER_H_

#include <napi.h>

#include <functional>
#include <string>
#include <vector>

#include "../kernel/types.h"
#include "kernel_threads.h"

namespace nonlocal_binding {

// A kernel failure as a JS error: out-of-memory is a RangeError, a cancelled call an Error named
// AbortError (code ABORT_ERR, as Node's own), anything else a TypeError.
inline Napi::Error KernelError(const Napi::Env& env, const nonlocal::KernelOutcome& outcome) {
  const std::string message = std::string("nonlocal-affinity kernel: ") + outcome.message;
  if (outcome.status == nonlocal::Status::kOutOfMemory) return Napi::RangeError::New(env, message);
  if (outcome.status == nonlocal::Status::kCancelled) {
    Napi::Error e = Napi::Error::New(env, "The operation was aborted");
    e.Set("name", "AbortError");
    e.Set("code", "ABORT_ERR");
    return e;
  }
  return Napi::TypeError::New(env, message);
}

class KernelWorker : public Napi::AsyncWorker {
 public:
  // Holds every object argument of `info`; resolves with info[result_index].
  KernelWorker(const Napi::CallbackInfo& info, size_t result_index,
               std::function<nonlocal::KernelOutcome()> job)
      : Napi::AsyncWorker(info.Env(), "nonlocal-affinity"),
        deferred_(Napi::Promise::Deferred::New(info.Env())),
        job_(std::move(job)),
        outcome_{nonlocal::Status::kOk, nullptr} {
    for (size_t i = 0; i < info.Length(); ++i)
      if (info[i].IsObject()) held_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    result_ = Napi::Persistent(info[result_index].As<Napi::Object>());
  }

  // Queues the work and returns the promise (node-addon-api deletes the worker when it settles).
  static Napi::Promise Start(const Napi::CallbackInfo& info, size_t result_index,
                             std::function<nonlocal::KernelOutcome()> job) {
    auto* worker = new KernelWorker(info, result_index, std::move(job));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    outcome_ = RunOnKernelThread(job_);
    if (outcome_.status != nonlocal::Status::kOk) SetError(outcome_.message);
  }
  void OnOK() override { deferred_.Resolve(result_.Value()); }
  void OnError(const Napi::Error&) override { deferred_.Reject(KernelError(Env(), outcome_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<nonlocal::KernelOutcome()> job_;
  nonlocal::KernelOutcome outcome_;
  std::vector<Napi::ObjectReference> held_;
  Napi::ObjectReference result_;
};

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_KERNEL_WORKER_H_
