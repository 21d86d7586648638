// The fused non-local / attention operator as plain C++ (no N-API here).
//
//   y_i = 1/C_i · Σ_j f(q_i, k_j) · v_j
//
//   embedded_gaussian, gaussian : f = exp(s·q_i·k_j),         C_i = Σ_j f   (softmax over keys)
//   dot_product                 : f = s·q_i·k_j,              C_i = M'      (number of unmasked keys)
//   concatenation               : f = ReLU(w_q·q_i + w_k·k_j), C_i = M'
//
// The kernel is blocked flash-attention style: it never holds the N×M matrix, only one
// query block × key block tile per thread (see flash_impl.h for the recurrence).
#ifndef NONLOCAL_KERNEL_ATTENTION_H_
#define NONLOCAL_KERNEL_ATTENTION_H_

#include <cstddef>
#include <cstdint>

namespace nonlocal {

enum class Affinity : int {
  kEmbeddedGaussian = 0,
  kGaussian = 1,
  kDotProduct = 2,
  kConcatenation = 3,
};

enum class Status : int {
  kOk = 0,
  kInvalidArgument = 1,  // a caller bug the binding should have caught first
  kOutOfMemory = 2,      // scratch allocation failed
  kCancelled = 3,        // the caller's cancel flag was raised; the output is incomplete
};

// How the operator writes y. kRows: [B][H][N][dv] through out_strides. kTransposedPanels (one
// batch item and one head only): yᵀ as column panels of P = kPanelColumns (kernel_table.h)
// queries, y[q][c] at (q / P)·dv·P + c·P + q % P — the B operand of the block's output projection
// (gemm.h), so the block needs no transposing pass. Floats of the last panel past N are not written.
enum class OutputLayout : int {
  kRows = 0,
  kTransposedPanels = 1,
};

// Element strides of one operand, addressed as [batch][head][row][column]; columns are contiguous.
struct Strides {
  int64_t batch;
  int64_t head;
  int64_t row;
};

struct AttentionProblem {
  int64_t batch;        // B
  int64_t heads;        // H
  int64_t queries;      // N
  int64_t keys;         // M
  int64_t key_width;    // dk: width of q and k per head
  int64_t value_width;  // dv: width of v and y per head

  const float* query;  // [B][H][N][dk] through query_strides
  const float* key;    // [B][H][M][dk]
  const float* value;  // [B][H][M][dv]
  float* out;          // [B][H][N][dv]
  Strides query_strides;
  Strides key_strides;
  Strides value_strides;
  Strides out_strides;  // kRows only
  OutputLayout out_layout;

  Affinity affinity;
  float scale;  // s: multiplies q·k (ignored by concatenation, which the binding enforces)

  const uint8_t* key_mask;  // [B][M], 0 = ignore that key; nullptr = every key counts

  // Concatenation only: the 1×1 conv over [θ; φ] splits into w_q·q_i + w_k·k_j, each [dk].
  const float* concat_query_weight;
  const float* concat_key_weight;

  // Optional cancel flag, read (atomically) before every task: nonzero = stop. The caller's
  // thread writes it while the kernel runs (a JS Int32Array set by an AbortSignal).
  const int32_t* cancel_flag;
};


struct KernelOutcome {
  Status status;
  const char* message;  // static string, never owned
};

// Runs the operator with `threads` OpenMP threads (1 = no parallel region at all).
// Results are bitwise identical for every thread count. Never throws.
KernelOutcome RunAttention(const AttentionProblem& problem, int threads) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_ATTENTION_H_
