// The whole non-local block on channels-first input, as plain C++ (no N-API):
//
//   θ = W_θ x + b_θ,  φ = pool(W_φ x + b_φ),  g = pool(W_g x + b_g)     (mmcv, AlexHex7)
//   θ = W_θ x + b_θ,  φ = W_φ pool(x) + b_φ,  g = W_g pool(x) + b_g     (Caffe2: pool first)
//   y = attention(θ, φ, g)                                              (the fused operator)
//   z = x + W_z y + b_z                                                 (BatchNorm folded into W_z, b_z)
//
// In 'gaussian' mode θ = x and φ = pool(x) (width C); g keeps its projection.
#ifndef NONLOCAL_KERNEL_BLOCK_H_
#define NONLOCAL_KERNEL_BLOCK_H_

#include <cstdint>

#include "types.h"

namespace nonlocal {

struct BlockProblem {
  int64_t batch;     // B
  int64_t channels;  // C
  int64_t inter;     // Ci
  int64_t t, h, w;   // spatial extent: 1D (1, 1, L), 2D (1, H, W), 3D (T, H, W); N = t·h·w
  int64_t pool_t, pool_h, pool_w;  // max-pool kernel = stride per axis (floor mode); 1 = not pooled
  bool pool_before_conv;           // Caffe2 order

  Affinity affinity;
  float scale;  // multiplies θ·φ (1/√Ci for scaled embedded Gaussian, else 1)

  const float* x;  // [B][C][N]
  float* out;      // [B][C][N]

  // 1×1 convolutions, stored transposed ([input channels][output columns]) with their biases;
  // wx and wp as column panels (types.h: ⌈columns / 64⌉ panels of [C][64], the GEMM's B).
  // Columns of wx (applied to x):         [θ unless gaussian] [φ, g unless pool_before_conv]
  // Columns of wp (applied to pool(x)):   [φ unless gaussian] [g]        (pool_before_conv only)
  const float* wx;
  const float* bx;
  const float* wp;
  const float* bp;
  const float* out_wt;  // W_zᵀ [Ci][C], BatchNorm folded in
  const float* out_b;   // b_z [C]
  const float* concat_theta;  // [Ci] concatenation only: the θ half of concat_project
  const float* concat_phi;    // [Ci]: the φ half

  const int32_t* cancel_flag;  // optional: nonzero = stop (see AttentionProblem::cancel_flag)
};

// Widths of the two projection matrices (columns of wx and wp) for a problem's mode and order.
int64_t ProjectionColumnsX(const BlockProblem& p) noexcept;
int64_t ProjectionColumnsPooled(const BlockProblem& p) noexcept;

// Pooled extent along one axis: floor(n / k) (PyTorch max_pool, stride = kernel, no padding).
inline int64_t PooledExtent(int64_t n, int64_t k) { return n / k; }

KernelOutcome RunNonLocalBlock(const BlockProblem& problem, int threads) noexcept;

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_BLOCK_H_
