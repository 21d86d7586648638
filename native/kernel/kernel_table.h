// The per-instruction-set function table and the plain data it is called with.
//
// Each ISA translation unit (isa_scalar.cc, isa_avx2.cc, isa_avx512.cc) exports exactly one
// function returning its table; everything else in those files lives in an anonymous namespace so
// that no inline code compiled with -mavx512f can leak into a caller on an older CPU (ODR rule).
#ifndef NONLOCAL_KERNEL_KERNEL_TABLE_H_
#define NONLOCAL_KERNEL_KERNEL_TABLE_H_

#include <cstdint>

#include "attention.h"

namespace nonlocal {

// How the work is cut: query blocks of `query_block` rows stream key blocks of `key_block` rows.
struct BlockPlan {
  int64_t query_block;   // Br, a multiple of KernelTable::query_tile
  int64_t key_block;     // Bc
  int64_t value_stride;  // dv rounded up to the vector width: row stride of the O accumulator
};

// One thread's scratch, labelled term by term (all 64-byte aligned, sizes in floats):
struct Scratch {
  float* query_t;    // dk × Br   : s·Qᵀ of the query block (column i = query i), zero-padded
  float* scores_t;   // Bc × Br   : Sᵀ = K·(s·Qᵀ), then Pᵀ in place
  float* acc;        // Br × dv'  : O, the unnormalised output rows
  float* row_max;    // Br        : m, running max of each query's logits
  float* row_sum;    // Br        : l, running Σ exp(logit − m)
  float* rescale;    // Br        : exp(m_old − m_new) of the current key block
  float* query_dot;  // Br        : concatenation's w_q·q_i
  float* key_dot;    // Bc        : concatenation's w_k·k_j
  const float** key_rows;    // Bc + pad : rows of the live (unmasked) keys of the block
  const float** value_rows;  // Bc + pad : the matching value rows
  float* value_pack;         // Bc × dv'' : the block's live value rows as column panels (below)
};

// Column panels: a matrix of `rows` rows and `cols` columns stored as ⌈cols / P⌉ panels of
// P = kPanelColumns columns, panel k holding columns [kP, kP + P) of every row contiguously:
// element (r, c) at (c / P)·panel_stride + r·P + c % P. One microkernel column tile (64 columns
// on AVX-512, 16 on AVX2 and portable code: always a divisor of P) then reads a contiguous run.
// P is the same for every ISA, so the TypeScript layer can pack the block's weights once and
// cache them whatever kernel runs later. Read in place, rows a power-of-two-ish stride apart
// (2 KB for d = 512, 6 KB for the block's θ|φ|g) all map to a handful of L1 sets and evict each
// other long before the tile is reused.

// One unit of parallel work: rows [first_query, first_query + rows) of (batch, head).
struct Task {
  int64_t batch;
  int64_t head;
  int64_t first_query;
  int64_t rows;
};

constexpr int64_t kPanelColumns = 64;  // P (lib/block/weights.ts PANEL_COLUMNS must match)

// What a GEMM's first depth pass adds to its sum as it writes the output, so that no separate
// pass over the output is needed (each pointer null = that term is 0):
//   acc[r][c] = Σ_j A[r][j]·B[j][c] + column_bias[c] + row_bias[r] + residual[r·residual_stride + c]
struct GemmInit {
  const float* column_bias;  // [cols]
  const float* row_bias;     // [rows]
  const float* residual;     // [rows][residual_stride]
  int64_t residual_stride;
};

struct KernelTable {
  const char* name;     // "scalar" | "avx2" | "avx512"
  int vector_width;     // floats per vector register
  int query_tile;       // queries per Sᵀ microkernel tile; Br must be a multiple of it
  int score_keys;       // keys per Sᵀ microkernel tile; Bc is a multiple of it (no padded rows)
  int tile_rows;        // R: rows per P·V / GEMM microkernel tile (A micro-panel height)
  void (*run_task)(const AttentionProblem& problem, const BlockPlan& plan, const Task& task,
                   const Scratch& scratch);
  // The outer-product GEMM step shared by P·V and the block's 1×1 convolutions, on the columns
  // [col_begin, col_end) (col_begin a multiple of P):
  //   acc[r][c] += Σ_{j<depth} A[r][j] · B[j][c],  r < rows
  // A is packed as row micro-panels of R = tile_rows rows: A[r][j] = a_panels[(r / R)·R·depth +
  // j·R + r % R], so one microkernel's A operand is contiguous. B is column panels
  // (panel_stride > 0: B[j][c] = b_rows[j][(c / P)·panel_stride + c % P]) or plain rows
  // (panel_stride = 0: B[j][c] = b_rows[j][c]).
  // acc may have any alignment and row stride; only its columns in range are read or written.
  // With `init` non-null acc is not read: acc[r][c] = Σ … + the GemmInit terms (offset to this
  // call's rows and columns).
  void (*outer_accumulate)(const float* a_panels, int64_t rows, const float* const* b_rows,
                           int64_t panel_stride, int64_t depth, int64_t col_begin,
                           int64_t col_end, float* acc, int64_t acc_stride, const GemmInit* init);
  // `iterations` rounds of independent FMA chains (enough to hide the FMA latency), for measuring
  // the machine's FP32 FMA peak. Returns the FLOPs performed; `sink` keeps the chains alive.
  double (*fma_loop)(int64_t iterations, float seed, float* sink);
  // out[i] = exp(in[i]) with the table's vectorised exp, so tests can measure its ulp error.
  void (*exp_array)(const float* in, float* out, int64_t count);
};

const KernelTable* ScalarKernelTable();
#if defined(NONLOCAL_HAVE_X86_KERNELS)
const KernelTable* Avx2KernelTable();
const KernelTable* Avx512KernelTable();
#endif

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_KERNEL_TABLE_H_
