// A minimal parallel loop for the block's memory-bound passes (block.cc: the max-pools and the
// transposes of 'gaussian' mode): contiguous runs of iterations (about eight per thread) handed
// out dynamically, so each thread streams its own parts of the arrays and a thread the OS has
// descheduled (a busy, shared machine) holds up at most one run, not half the loop. The body must
// not throw (it is plain arithmetic on preallocated memory).
#ifndef NONLOCAL_KERNEL_RUNTIME_PARALLEL_H_
#define NONLOCAL_KERNEL_RUNTIME_PARALLEL_H_

#include <cstdint>

namespace nonlocal {

template <typename Body>
void ParallelFor(int threads, int64_t count, const Body& body) {
#ifdef _OPENMP
  if (threads > 1 && count > 1) {
    const int64_t run = count / (8 * int64_t{threads}) > 0 ? count / (8 * int64_t{threads}) : 1;
#pragma omp parallel for num_threads(threads) schedule(dynamic, run)
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
#else
  (void)threads;
#endif
  for (int64_t i = 0; i < count; ++i) body(i);
}

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_PARALLEL_H_
