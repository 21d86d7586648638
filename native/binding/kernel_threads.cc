#include "kernel_threads.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nonlocal_binding {
namespace {

// One kernel thread: waits for a job, runs it, hands the outcome back.
class KernelThread {
 public:
  KernelThread() : thread_([this] { Loop(); }) { thread_.detach(); }  // lives as long as the process

  nonlocal::KernelOutcome Run(const std::function<nonlocal::KernelOutcome()>& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = &job;
    wake_.notify_one();
    done_.wait(lock, [this] { return job_ == nullptr; });
    return outcome_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return job_ != nullptr; });
      const std::function<nonlocal::KernelOutcome()>* job = job_;
      lock.unlock();
      const nonlocal::KernelOutcome outcome = (*job)();  // the kernels never throw
      lock.lock();
      outcome_ = outcome;
      job_ = nullptr;
      done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<nonlocal::KernelOutcome()>* job_ = nullptr;
  nonlocal::KernelOutcome outcome_{nonlocal::Status::kOk, nullptr};
  std::thread thread_;
};

struct Pool {
  std::mutex mutex;
  std::vector<std::unique_ptr<KernelThread>> threads;
  std::vector<bool> busy;
};

Pool& ThePool() {
  static Pool* pool = new Pool;  // never destroyed: its threads outlive static destruction
  return *pool;
}

}  // namespace

nonlocal::KernelOutcome RunOnKernelThread(const std::function<nonlocal::KernelOutcome()>& job) {
  Pool& pool = ThePool();
  size_t index = 0;
  KernelThread* thread = nullptr;
  {
    std::lock_guard<std::mutex> lock(pool.mutex);
    while (index < pool.busy.size() && pool.busy[index]) ++index;
    if (index == pool.threads.size()) {
      pool.threads.push_back(std::make_unique<KernelThread>());
      pool.busy.push_back(false);
    }
    pool.busy[index] = true;
    thread = pool.threads[index].get();
  }
  const nonlocal::KernelOutcome outcome = thread->Run(job);
  std::lock_guard<std::mutex> lock(pool.mutex);
  pool.busy[index] = false;
  return outcome;
}

}  // namespace nonlocal_binding
