// The per-instruction-set function table (the data it is called with is in tiling.h).
//
// Each ISA translation unit (isa/isa_scalar.cc, isa/isa_avx2.cc, isa/isa_avx512.cc) exports
// exactly one function returning its table; everything else in those files — including the
// isa/*-inl.h parts they include — lives in an anonymous namespace, so that no inline code compiled
// with -mavx512f can leak into a caller on an older CPU (ODR rule: the linker keeps one copy of an
// inline function, and it may be the -mavx512f one). For the same reason the headers these units
// include (this one, tiling.h, types.h) hold data and declarations only, never inline functions.
#ifndef NONLOCAL_KERNEL_KERNEL_TABLE_H_
#define NONLOCAL_KERNEL_KERNEL_TABLE_H_

#include <cstdint>

#include "tiling.h"
#include "types.h"

namespace nonlocal {

struct KernelTable {
  const char* name;     // "scalar" | "avx2" | "avx512"
  int vector_width;     // floats per vector register
  int query_tile;       // queries per Sᵀ microkernel tile; Br must be a multiple of it
  int score_keys;       // keys per Sᵀ microkernel tile; Bc is a multiple of it (no padded rows)
  int tile_rows;        // R: rows per P·V / GEMM microkernel tile (A micro-panel height)
  int tile_columns;     // columns per P·V / GEMM microkernel tile (a divisor of P, types.h)
  bool bias_row_layout;  // an attention bias takes the row layout (tiling.h BlockPlan::keys_t)
  void (*run_task)(const AttentionProblem& problem, const BlockPlan& plan, const Task& task,
                   const Scratch& scratch);
  // The outer-product GEMM step shared by P·V and the block's 1×1 convolutions
  // (isa/microkernel-inl.h), on the columns [col_begin, col_end) (col_begin a multiple of P):
  //   acc[r][c] += Σ_{j<depth} A[r][j] · B[j][c],  r < rows
  // A is packed as row micro-panels of R = tile_rows rows: A[r][j] = a_panels[(r / R)·R·depth +
  // j·R + r % R], so one microkernel's A operand is contiguous. B is column panels of
  // `panel_width` columns (P, types.h, or tile_columns; panel_stride > 0: B[j][c] =
  // b_rows[j][(c / panel_width)·panel_stride + c % panel_width]) or plain rows (panel_stride = 0:
  // B[j][c] = b_rows[j][c]); col_begin is a multiple of panel_width.
  // acc may have any alignment and row stride; only its columns in range are read or written.
  // With `init` non-null acc is not read: acc[r][c] = Σ … + the GemmInit terms (offset to this
  // call's rows and columns).
  void (*outer_accumulate)(const float* a_panels, int64_t rows, const float* const* b_rows,
                           int64_t panel_stride, int64_t depth, int64_t col_begin,
                           int64_t col_end, float* acc, int64_t acc_stride, const GemmInit* init,
                           int64_t panel_width);
  // dst[c·dst_stride + i] = scale·src[i·src_stride + c] for i < rows, c < width; lanes
  // rows ≤ i < columns are 0 (isa/attention_io-inl.h TransposeQueries: s·Qᵀ, and Kᵀ of the row
  // layout).
  void (*transpose_scaled)(const float* src, int64_t src_stride, int64_t rows, int64_t columns,
                           int64_t width, float scale, int64_t dst_stride, float* dst);
  // K rows [0, rows) (row stride src_stride, width dk) as score-tile panels (tiling.h
  // BlockPlan::keys_packed) at dst: ⌈rows / score_keys⌉ · dk · score_keys floats.
  void (*pack_key_panels)(const float* src, int64_t src_stride, int64_t rows, int64_t dk, float* dst);
  // V rows [0, rows) (row stride src_stride, width dv) as column panels of tile_columns floats,
  // panel_stride apart (tiling.h BlockPlan::values_packed): row j at dst + j·tile_columns.
  void (*pack_value_panels)(const float* src, int64_t src_stride, int64_t rows, int64_t dv,
                            int64_t panel_stride, float* dst);
  // `iterations` rounds of independent FMA chains (enough to hide the FMA latency), for measuring
  // the machine's FP32 FMA peak. Returns the FLOPs performed; `sink` keeps the chains alive.
  double (*fma_loop)(int64_t iterations, float seed, float* sink);
  // out[i] = exp(in[i]) with the table's vectorised exp (isa/exp-inl.h), or with the softmax's
  // (`softmax`: for in[i] ≤ 0, −∞ or NaN only), so tests can measure their ulp error (the
  // binding's expForTesting hook).
  void (*exp_array)(const float* in, float* out, int64_t count, bool softmax);
};

const KernelTable* ScalarKernelTable();
#if defined(NONLOCAL_HAVE_X86_KERNELS)
const KernelTable* Avx2KernelTable();
const KernelTable* Avx512KernelTable();
#endif
#if defined(NONLOCAL_HAVE_NEON_KERNELS)
const KernelTable* NeonKernelTable();
#endif

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_KERNEL_TABLE_H_
