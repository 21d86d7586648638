// The non-local block driver: 1×1 convolutions as GEMMs on the ISA table's outer-product
// microkernel, floor-mode max-pooling, the fused attention operator, the output projection and the
// residual. Channels-first x is never transposed, except in 'gaussian' mode, where θ = x and
// φ = pool(x) themselves have to be positions-major for the attention operator.
//
// Layouts for one batch item (N positions, M pooled positions, Ci = inter channels):
//   x    [C][N]         the caller's tensor
//   proj [N][Kx']       x·W_x + b_x: θ | φ | g columns, positions-major (what attention reads)
//   kv   [M][2Ci']      pooled φ | g (sub-sampling) — or columns of proj when not sub-sampled
//   yt   [Ci][N]        the attention output y transposed, as column panels (types.h), written so
//                       by the operator itself (OutputLayout::kTransposedPanels), so that W_z y
//                       lands channels-first
//   out  [C][N]         x + b_z + W_z y, written by the output projection's GEMM itself
// (' = padded to 16 floats so every row starts on a cache line for the microkernel.)
#include "block.h"

#include <cstdint>
#include <algorithm>

#include "attention.h"
#include "dispatch.h"
#include "gemm.h"
#include "kernel_table.h"
#include "runtime/cancel.h"
#include "runtime/common.h"
#include "runtime/memory_advice.h"
#include "runtime/parallel.h"
#include "runtime/phase_profile.h"
#include "runtime/scratch_arena.h"
#include "runtime/scratch_carver.h"

namespace nonlocal {
namespace {

constexpr int64_t kPad = 16;

bool IsGaussian(const BlockProblem& p) { return p.affinity == Affinity::kGaussian; }

bool SubSampled(const BlockProblem& p) { return p.pool_t > 1 || p.pool_h > 1 || p.pool_w > 1; }

// PyTorch max_pool semantics: a NaN anywhere in the window wins.
inline float MaxKeepNaN(float m, float v) { return (v > m || v != v) ? v : m; }

struct Grid {
  int64_t t, h, w;
};

// Positions-major pooling: dst[(t',h',w')][k] = max over the window of src[(t,h,w)][k], k < width.
// Threads split the output rows (t', h').
void PoolRows(const float* src, int64_t src_stride, Grid in, Grid kernel, int64_t width, float* dst,
              int64_t dst_stride, int threads) {
  const Grid out{in.t / kernel.t, in.h / kernel.h, in.w / kernel.w};
  ParallelFor(threads, out.t * out.h, [&](int64_t row) {
    const int64_t ot = row / out.h;
    const int64_t oh = row % out.h;
    for (int64_t ow = 0; ow < out.w; ++ow) {
      float* d = dst + ((ot * out.h + oh) * out.w + ow) * dst_stride;
      // The window's first position initialises the row, the others fold in (vectorisable loops).
      for (int64_t a = 0; a < kernel.t; ++a)
        for (int64_t b = 0; b < kernel.h; ++b)
          for (int64_t c = 0; c < kernel.w; ++c) {
            const int64_t pos = ((ot * kernel.t + a) * in.h + oh * kernel.h + b) * in.w +
                                ow * kernel.w + c;
            const float* s = src + pos * src_stride;
            if (a == 0 && b == 0 && c == 0) {
              for (int64_t k = 0; k < width; ++k) d[k] = s[k];
            } else {
              for (int64_t k = 0; k < width; ++k) d[k] = MaxKeepNaN(d[k], s[k]);
            }
          }
    }
  });
}

// Channels-first pooling: dst[ch][(t',h',w')] = max over the window of src[ch][(t,h,w)].
// Threads split the channels.
void PoolChannels(const float* src, int64_t channels, Grid in, Grid kernel, float* dst,
                  int threads) {
  const Grid out{in.t / kernel.t, in.h / kernel.h, in.w / kernel.w};
  const int64_t n = in.t * in.h * in.w;
  const int64_t m = out.t * out.h * out.w;
  ParallelFor(threads, channels, [&](int64_t ch) {
    const float* s = src + ch * n;
    float* d = dst + ch * m;
    for (int64_t ot = 0; ot < out.t; ++ot)
      for (int64_t oh = 0; oh < out.h; ++oh)
        for (int64_t ow = 0; ow < out.w; ++ow) {
          float best = s[((ot * kernel.t) * in.h + oh * kernel.h) * in.w + ow * kernel.w];
          for (int64_t a = 0; a < kernel.t; ++a)
            for (int64_t b = 0; b < kernel.h; ++b)
              for (int64_t c = 0; c < kernel.w; ++c)
                best = MaxKeepNaN(best, s[((ot * kernel.t + a) * in.h + oh * kernel.h + b) * in.w +
                                          ow * kernel.w + c]);
          d[(ot * out.h + oh) * out.w + ow] = best;
        }
  });
}

// dst[c][r] = src[r][c] for r < rows, c < cols (cache-blocked, threads split the rows).
void Transpose(const float* src, int64_t src_stride, int64_t rows, int64_t cols, float* dst,
               int64_t dst_stride, int threads) {
  constexpr int64_t kTile = 32;
  ParallelFor(threads, (rows + kTile - 1) / kTile, [&](int64_t block) {
    const int64_t r0 = block * kTile;
    for (int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (int64_t c = c0; c < c0 + kTile && c < cols; ++c)
        for (int64_t r = r0; r < r0 + kTile && r < rows; ++r)
          dst[c * dst_stride + r] = src[r * src_stride + c];
  });
}

}  // namespace

int64_t ProjectionColumnsX(const BlockProblem& p) noexcept {
  const int64_t theta = IsGaussian(p) ? 0 : p.inter;
  const int64_t phi_g = p.pool_before_conv ? 0 : (IsGaussian(p) ? p.inter : 2 * p.inter);
  return theta + phi_g;
}

int64_t ProjectionColumnsPooled(const BlockProblem& p) noexcept {
  return p.pool_before_conv ? (IsGaussian(p) ? p.inter : 2 * p.inter) : 0;
}

KernelOutcome RunNonLocalBlock(const BlockProblem& p, int threads) noexcept {
  if (p.batch < 1 || p.channels < 1 || p.inter < 1 || p.t < 1 || p.h < 1 || p.w < 1 ||
      p.pool_t < 1 || p.pool_h < 1 || p.pool_w < 1)
    return Fail(Status::kInvalidArgument, "every block dimension must be at least 1");
  if (p.x == nullptr || p.out == nullptr || p.out_wt == nullptr || p.out_b == nullptr)
    return Fail(Status::kInvalidArgument, "x, out and the output projection must have data");
  if (p.pool_before_conv && !SubSampled(p))
    return Fail(Status::kInvalidArgument, "pool-before-conv needs a pooling kernel");
  if (threads < 1) threads = 1;

  const KernelTable& table = *ActiveKernelTable();
  const bool gaussian = IsGaussian(p);
  const bool sub = SubSampled(p);
  const Grid in{p.t, p.h, p.w};
  const Grid kernel{p.pool_t, p.pool_h, p.pool_w};
  const Grid pooled{PooledExtent(p.t, p.pool_t), PooledExtent(p.h, p.pool_h),
                    PooledExtent(p.w, p.pool_w)};
  const int64_t C = p.channels;
  const int64_t Ci = p.inter;
  const int64_t N = p.t * p.h * p.w;
  const int64_t M = pooled.t * pooled.h * pooled.w;
  if (M < 1) return Fail(Status::kInvalidArgument, "sub-sampling leaves no key positions");
  const int64_t kx = ProjectionColumnsX(p);
  const int64_t kp = ProjectionColumnsPooled(p);
  const int64_t kx_stride = RoundUp(kx > 0 ? kx : 1, kPad);
  const int64_t kp_stride = RoundUp(kp > 0 ? kp : 1, kPad);
  const int64_t kv_width = gaussian ? Ci : 2 * Ci;       // pooled φ | g columns
  const int64_t kv_stride = RoundUp(kv_width, kPad);
  const int64_t depth_max = C > Ci ? C : Ci;

  // Per-call scratch, all of it O(N·(C + Ci)), never O(N·M); element counts first.
  const bool need_xp = p.pool_before_conv || (gaussian && sub);
  const int64_t n_proj = kx > 0 ? N * kx_stride : 0;
  const int64_t n_kv = sub && !p.pool_before_conv ? M * kv_stride : 0;
  const int64_t n_xp = need_xp ? C * M : 0;
  const int64_t n_kvp = p.pool_before_conv ? M * kp_stride : 0;
  const int64_t n_xt = gaussian ? N * C : 0;
  const int64_t n_xpt = gaussian && sub ? M * C : 0;
  const int64_t n_rows = depth_max;
  const int64_t n_yt_panels = ColumnPanelFloats(Ci, N);
  // Carved twice: measuring (every pointer null) for the lease's size, then from the lease.
  float *proj = nullptr, *kv = nullptr, *xp = nullptr, *kvp = nullptr, *xt = nullptr, *xpt = nullptr,
        *yt = nullptr;
  const float** row_ptrs = nullptr;
  const auto carve_all = [&](ScratchCarver* carve) {
    proj = carve->Floats(n_proj);
    kv = carve->Floats(n_kv);
    xp = carve->Floats(n_xp);
    kvp = carve->Floats(n_kvp);
    xt = carve->Floats(n_xt);
    xpt = carve->Floats(n_xpt);
    yt = carve->Floats(n_yt_panels);
    row_ptrs = carve->Pointers(n_rows);
  };
  ScratchCarver measure;
  carve_all(&measure);
  const int64_t bytes = measure.bytes();
  // The scratch is a few times one batch item of x; refuse anything beyond 8× that (and 1 GiB).
  const int64_t limit = std::max<int64_t>(static_cast<int64_t>(kMaxScratchBytes), 8 * 4 * C * N);
  if (bytes > limit) return Fail(Status::kOutOfMemory, "the block's scratch would exceed its limit");
  const ScratchLease lease(ArenaSlot::kBlock, static_cast<size_t>(bytes), static_cast<size_t>(limit));
  if (lease.data() == nullptr)
    return Fail(Status::kOutOfMemory, "cannot allocate the block's scratch memory");
  ScratchCarver carve(lease.data());
  carve_all(&carve);

  // The output is usually a fresh allocation that nothing has touched yet.
  AdviseHugePages(p.out, static_cast<size_t>(p.batch * C * N) * sizeof(float));

  for (int64_t b = 0; b < p.batch; ++b) {
    if (CancelRequested(p.cancel_flag)) return Fail(Status::kCancelled, "the call was cancelled");
    const float* x = p.x + b * C * N;
    float* out = p.out + b * C * N;
    NONLOCAL_PHASE_START();  // the profiler's stage marks (runtime/phase_profile.h); empty otherwise

    // 1. Projections of x (θ, and φ|g unless Caffe2 order) in one pass over x.
    if (kx > 0) {
      const KernelOutcome g =
          Gemm(table, x, N, N, p.wx, C, kx, GemmInit{p.bx, nullptr, nullptr, 0}, proj, kx_stride,
               row_ptrs, threads);
      if (g.status != Status::kOk) return g;
    }
    if (p.pool_before_conv || (gaussian && sub)) PoolChannels(x, C, in, kernel, xp, threads);
    NONLOCAL_STAGE_MARK(kStageProjections);

    // 2. Keys and values: pooled after the conv, computed from pooled x, or straight from proj.
    const float* theta = nullptr;
    int64_t theta_stride = 0;
    const float* keys = nullptr;
    int64_t keys_stride = 0;
    const float* values = nullptr;
    int64_t values_stride = 0;
    const int64_t phi_g_offset = gaussian ? 0 : Ci;  // where φ|g start among proj's columns
    if (p.pool_before_conv) {
      const KernelOutcome g =
          Gemm(table, xp, M, M, p.wp, C, kp, GemmInit{p.bp, nullptr, nullptr, 0}, kvp, kp_stride,
               row_ptrs, threads);
      if (g.status != Status::kOk) return g;
      keys = kvp;
      values = kvp + (gaussian ? 0 : Ci);
      keys_stride = values_stride = kp_stride;
    } else if (sub) {
      PoolRows(proj + phi_g_offset, kx_stride, in, kernel, kv_width, kv, kv_stride, threads);
      keys = kv;
      values = kv + (gaussian ? 0 : Ci);
      keys_stride = values_stride = kv_stride;
    } else {
      keys = proj + phi_g_offset;
      values = proj + phi_g_offset + (gaussian ? 0 : Ci);
      keys_stride = values_stride = kx_stride;
    }
    NONLOCAL_STAGE_MARK(kStageKeysValues);
    if (gaussian) {  // θ = x and φ = pool(x), positions-major
      Transpose(x, N, C, N, xt, C, threads);
      theta = xt;
      theta_stride = C;
      if (sub) {
        Transpose(xp, M, C, M, xpt, C, threads);
        keys = xpt;
      } else {
        keys = xt;
      }
      keys_stride = C;
    } else {
      theta = proj;
      theta_stride = kx_stride;
    }

    NONLOCAL_STAGE_MARK(kStageTranspose);
    // 3. y = attention(θ, φ, g) on the fused operator.
    AttentionProblem a{};
    a.batch = 1;
    a.heads = 1;
    a.queries = N;
    a.keys = M;
    a.key_width = gaussian ? C : Ci;
    a.value_width = Ci;
    a.query = theta;
    a.key = keys;
    a.value = values;
    a.out = yt;
    a.out_layout = OutputLayout::kTransposedPanels;
    a.query_strides = Strides{0, 0, theta_stride};
    a.key_strides = Strides{0, 0, keys_stride};
    a.value_strides = Strides{0, 0, values_stride};
    a.out_strides = Strides{0, 0, 0};
    a.affinity = p.affinity;
    a.scale = p.scale;
    a.key_mask = nullptr;
    a.concat_query_weight = p.concat_theta;
    a.concat_key_weight = p.concat_phi;
    a.cancel_flag = p.cancel_flag;
    const KernelOutcome attended = RunAttention(a, threads);
    if (attended.status != Status::kOk) return attended;
    NONLOCAL_STAGE_MARK(kStageAttention);

    if (CancelRequested(p.cancel_flag)) return Fail(Status::kCancelled, "the call was cancelled");
    // 4. out = x + b_z + W_z y channels-first, in one pass (the GEMM's first depth pass adds the
    //    bias and the residual as it writes; x is read, never written):
    //    out[c][n] = x[c][n] + (Σ_ci W_zᵀ[ci][c] · yᵀ[ci][n] + b_z[c]).
    const KernelOutcome projected =
        Gemm(table, p.out_wt, C, C, yt, Ci, N, GemmInit{nullptr, p.out_b, x, N}, out, N, row_ptrs,
             threads);
    if (projected.status != Status::kOk) return projected;
    NONLOCAL_STAGE_MARK(kStageOutput);
  }
  return Ok();
}

}  // namespace nonlocal
