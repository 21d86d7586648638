// The block's 1×1 convolutions as one GEMM shape, on the ISA table's outer-product microkernel:
//
//   acc[r][c] = Σ_j A[r][j] · B[j][c] + the GemmInit terms (kernel_table.h: a column bias, a row
//               bias, a residual matrix; tiling.h),   r < rows, c < cols, j < depth
//
// A is read as a[j·a_stride + r] (a channels-first tensor, or a transposed weight), B arrives as
// column panels (types.h) so each microkernel tile's slice of B is contiguous in memory.
#ifndef NONLOCAL_KERNEL_GEMM_H_
#define NONLOCAL_KERNEL_GEMM_H_

#include <cstdint>

#include "kernel_table.h"
#include "types.h"

namespace nonlocal {

// Floats of a depth × cols matrix stored as column panels (types.h). The block's weights arrive
// packed so from TypeScript (lib/block/weights.ts); the attention operator writes yᵀ so itself
// (OutputLayout::kTransposedPanels), for the block's output projection.
inline int64_t ColumnPanelFloats(int64_t depth, int64_t cols) {
  return depth * ((cols + kPanelColumns - 1) / kPanelColumns * kPanelColumns);
}

// The GEMM above over `threads` threads. acc may be any float array with rows acc_stride apart
// (the caller's output tensor included); only its first `cols` columns are written.
// `row_pointers` is caller scratch for `depth` pointers. Fails only with kOutOfMemory (its
// A-packing buffers).
KernelOutcome Gemm(const KernelTable& table, const float* a, int64_t a_stride, int64_t rows,
                   const float* b_panels, int64_t depth, int64_t cols, const GemmInit& init,
                   float* acc, int64_t acc_stride, const float** row_pointers,
                   int threads) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_GEMM_H_
