// The threads async kernel calls run on. libuv hands each AsyncWorker to any of its pool threads,
// and libgomp keeps one OpenMP team per thread that starts parallel regions: calls on different
// libuv threads would use different teams, and a finished team's threads keep spinning (libgomp's
// default wait policy) while the next call's team runs, so the two compete for the cores. Here
// every call runs on the lowest-numbered idle kernel thread, so one call at a time (the
// scheduler's default) always uses thread 0 and its one OpenMP team; calls that do run at once get
// threads of their own. Plain C++ threads: no JS is touched.
#ifndef NONLOCAL_BINDING_KERNEL_THREADS_H_
#define NONLOCAL_BINDING_KERNEL_THREADS_H_

#include <functional>

#include "../kernel/types.h"

namespace nonlocal_binding {

// Runs `job` on a kernel thread and returns its outcome; the calling (libuv) thread waits.
nonlocal::KernelOutcome RunOnKernelThread(const std::function<nonlocal::KernelOutcome()>& job);

}  // namespace nonlocal_binding

#endif  // NONLOCAL_BINDING_KERNEL_THREADS_H_
