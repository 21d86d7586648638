// Reading a caller's cancel flag (AttentionProblem::cancel_flag, types.h). Kept out of the headers
// the ISA translation units include: no inline code may be compiled with -mavx512f and then shared
// with callers on other CPUs (isa/attention_task-inl.h has its own copy, Cancelled).
#ifndef NONLOCAL_KERNEL_RUNTIME_CANCEL_H_
#define NONLOCAL_KERNEL_RUNTIME_CANCEL_H_

#include <cstdint>

namespace nonlocal {

// True once the flag (if any) is raised; relaxed is enough, it is only a hint to stop early.
inline bool CancelRequested(const int32_t* flag) {
  return flag != nullptr && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_RUNTIME_CANCEL_H_
