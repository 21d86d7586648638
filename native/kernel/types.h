// The kernel's public types: what a call returns (Status, KernelOutcome), the limits the binding
// checks against, the operator's descriptor (AttentionProblem) and the column-panel layout the
// TypeScript layer packs the block's weights in. The block's descriptor is in block.h, the entry
// points in attention.h and block.h.
//
// Data only: the ISA translation units (isa/) include this header through kernel_table.h, so it
// must hold no inline function — one compiled with -mavx512f could be the copy the linker keeps
// for callers on CPUs without it (see kernel_table.h).
#ifndef NONLOCAL_KERNEL_TYPES_H_
#define NONLOCAL_KERNEL_TYPES_H_

#include <cstddef>
#include <cstdint>

namespace nonlocal {

enum class Status : int {
  kOk = 0,
  kInvalidArgument = 1,  // a caller bug the binding should have caught first
  kOutOfMemory = 2,      // scratch allocation failed
  kCancelled = 3,        // the caller's cancel flag was raised; the output is incomplete
};

struct KernelOutcome {
  Status status;
  const char* message;  // static string, never owned; nullptr with kOk
};

// The most threads one call may ask for: the binding rejects more, and the GEMM keeps one work
// range per thread in a fixed array of this size (gemm.cc).
constexpr int kMaxThreads = 1024;

enum class Affinity : int {
  kEmbeddedGaussian = 0,
  kGaussian = 1,
  kDotProduct = 2,
  kConcatenation = 3,
};

// Column panels: a matrix of `rows` rows and `cols` columns stored as ⌈cols / P⌉ panels of
// P = kPanelColumns columns, panel k holding columns [kP, kP + P) of every row contiguously:
// element (r, c) at (c / P)·panel_stride + r·P + c % P. One microkernel column tile (64 columns
// on AVX-512, 16 on AVX2 and portable code: always a divisor of P) then reads a contiguous run,
// where the rows of a plain row-major matrix would sit a whole matrix row apart and, for
// power-of-two-like row lengths, map to a handful of L1 sets. P is the same for every ISA, so the
// TypeScript layer packs the block's weights once whatever kernel runs later.
constexpr int64_t kPanelColumns = 64;  // P (lib/block/weights.ts PANEL_COLUMNS must match)

// How the operator writes y. kRows: [B][H][N][dv] through out_strides. kTransposedPanels (one
// batch item and one head only): yᵀ as column panels of P = kPanelColumns queries, y[q][c] at
// (q / P)·dv·P + c·P + q % P — the B operand of the block's output projection (gemm.h), so the
// block needs no transposing pass. Floats of the last panel past N are not written.
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

// The fused operator's descriptor (attention.h):
//   y_i = 1/C_i · Σ_j f(q_i, k_j) · v_j
// over the keys j that query i may see: not padding-masked, and (causal) j ≤ i + causal_offset.
// The softmax modes add bias[i][j] to the logit first: f = exp(s·q_i·k_j + bias_ij); a query that
// sees no key (or whose logits are all −∞) gets zeros.
struct AttentionProblem {
  int64_t batch;        // B
  int64_t heads;        // H
  int64_t kv_heads;     // Hkv (0 = H): K and V have Hkv heads, query head h reads KV head h / (H / Hkv)
  int64_t queries;      // N
  int64_t keys;         // M
  int64_t key_width;    // dk: width of q and k per head
  int64_t value_width;  // dv: width of v and y per head

  const float* query;  // [B][H][N][dk] through query_strides
  const float* key;    // [B][H][M][dk]
  const float* value;  // [B][H][M][dv]
  float* out;          // [B][H][N][dv]
  Strides query_strides;
  Strides key_strides;    // head stride: one KV head
  Strides value_strides;
  Strides out_strides;  // kRows only
  OutputLayout out_layout;

  Affinity affinity;
  float scale;  // s: multiplies q·k (ignored by concatenation, which the binding enforces)

  const uint8_t* key_mask;  // [B][M], 0 = ignore that key; nullptr = every key counts

  // Causal masking: query i (0-based in N) sees keys j ≤ i + causal_offset only — 0 aligns the
  // diagonal upper-left (PyTorch is_causal), M − N lower-right (the last query sees every key).
  // Key blocks no query of a task may see are never computed.
  bool causal;
  int64_t causal_offset;

  // Softmax modes only: an additive bias [B|1][H|1][N][M] through bias_strides (batch / head
  // stride 0 on a broadcast axis; row stride ≥ M, keys contiguous). nullptr = none.
  const float* bias;
  Strides bias_strides;

  // Concatenation only: the 1×1 conv over [θ; φ] splits into w_q·q_i + w_k·k_j, each [dk].
  const float* concat_query_weight;
  const float* concat_key_weight;

  // Optional cancel flag, read (atomically) before every task and again before every key block
  // of a task: nonzero = stop. The caller's thread writes it while the kernel runs (a JS
  // Int32Array set by an AbortSignal).
  const int32_t* cancel_flag;
};

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_TYPES_H_
