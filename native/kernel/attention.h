// The fused non-local / attention operator as plain C++ (no N-API here).
//
//   y_i = 1/C_i · Σ_j f(q_i, k_j) · v_j
//
//   embedded_gaussian, gaussian : f = exp(s·q_i·k_j),         C_i = Σ_j f   (softmax over keys)
//   dot_product                 : f = s·q_i·k_j,              C_i = M'      (number of unmasked keys)
//   concatenation               : f = ReLU(w_q·q_i + w_k·k_j), C_i = M'
//
// The kernel is blocked flash-attention style: it never holds the N×M matrix, only one
// query block × key block tile per thread (isa/attention_task-inl.h has the recurrence).
// The descriptor, AttentionProblem, is in types.h.
#ifndef NONLOCAL_KERNEL_ATTENTION_H_
#define NONLOCAL_KERNEL_ATTENTION_H_

#include "types.h"

namespace nonlocal {

// Runs the operator with `threads` OpenMP threads (1 = no parallel region at all).
// Results are bitwise identical for every thread count. Never throws.
KernelOutcome RunAttention(const AttentionProblem& problem, int threads) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_ATTENTION_H_
