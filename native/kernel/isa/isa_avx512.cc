// AVX-512F kernels. Compiled with -mavx512f (its own static target / per-file flags) and reached
// only through Avx512KernelTable() after dispatch.cc has checked cpuid and xgetbv.
#include <immintrin.h>

#include <cstdint>

#include "../kernel_table.h"
#include "../runtime/phase_profile.h"

namespace nonlocal {
namespace {

#include "exp-inl.h"

struct Simd {
  using V = __m512;
  static constexpr int W = 16;
  // Sᵀ tile 12 keys × 32 queries: 24 accumulators + 2 query vectors + 1 broadcast of 32 zmm.
  static constexpr int kScoreKeys = 12;
  static constexpr int kScoreVecs = 2;
  // P·V tile 6 queries × 64 columns: 24 accumulators + 4 value vectors + 1 broadcast.
  static constexpr int kValueRows = 6;
  // FMA chains for the peak measurement: ≥ latency × FMA ports, within the register file.
  static constexpr int kFmaChains = 16;
  static constexpr int kValueVecs = 4;
  // The row layout for an attention bias (kernel_table.h): measured faster than Sᵀ with its
  // register transposes of the bias.
  static constexpr bool kBiasRowLayout = true;

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  // First n lanes (1 ≤ n ≤ 16); masked lanes are not read, so this never crosses a buffer's end.
  static V loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(Lanes(n), p); }
  static void store(float* p, V v) { _mm512_store_ps(p, v); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void storen(float* p, V v, int n) { _mm512_mask_storeu_ps(p, Lanes(n), v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  // vmaxps / vminps return their second operand when either is NaN: a NaN in `b` survives. Written
  // with an all-lanes zeroing mask (the same unmasked instruction): GCC 12's _mm512_max_ps passes
  // _mm512_undefined_ps(), which -Wuninitialized flags once the operands live in arrays.
  static V max(V a, V b) { return _mm512_maskz_max_ps(kAllLanes, a, b); }
  static V min(V a, V b) { return _mm512_maskz_min_ps(kAllLanes, a, b); }
  static constexpr __mmask16 kAllLanes = 0xFFFF;

  // In-place 16×16 transpose: r[c][i] ← r[i][c]. Floats paired within 128-bit lanes, then 64-bit
  // pairs (each lane a 4×4 block transposed), then the 4×4 grid of lanes (vshuff32x4).
  static void transpose(V (&r)[W]) {
    V t[W];
    for (int i = 0; i < W; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    V u[4][4];  // u[g][k], lane L: column 4L + k of rows 4g .. 4g + 3
    for (int g = 0; g < 4; ++g) {
      const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 2]);
      const __m512d c = _mm512_castps_pd(t[4 * g + 1]), d = _mm512_castps_pd(t[4 * g + 3]);
      u[g][0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
      u[g][1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
      u[g][2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
      u[g][3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    for (int k = 0; k < 4; ++k) {  // out row 4L + k = lane L of u[0..3][k]
      const V v0 = _mm512_shuffle_f32x4(u[0][k], u[1][k], 0x44);
      const V v1 = _mm512_shuffle_f32x4(u[0][k], u[1][k], 0xEE);
      const V v2 = _mm512_shuffle_f32x4(u[2][k], u[3][k], 0x44);
      const V v3 = _mm512_shuffle_f32x4(u[2][k], u[3][k], 0xEE);
      r[k] = _mm512_shuffle_f32x4(v0, v2, 0x88);
      r[4 + k] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
      r[8 + k] = _mm512_shuffle_f32x4(v1, v3, 0x88);
      r[12 + k] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
    }
  }

  static __mmask16 Lanes(int n) { return static_cast<__mmask16>((1u << n) - 1u); }

  // exp (exp-inl.h) and the steps it needs.
  static V exp(V x) { return VectorExp<Simd>(x); }
  static V exp_nonpositive(V x) { return VectorExp<Simd, true>(x); }  // x ≤ 0, −∞, NaN
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  // vscalefps (v·2^floor(n)) under a zeroing mask: one operation for both steps. "Not less than"
  // is unordered: NaN lanes keep the product.
  static V scale2n_above(V v, V n, V /*b*/, V x, V lo) {
    return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ), v, n);
  }
};

#include "microkernel-inl.h"
#include "attention_io-inl.h"
#include "attention_task-inl.h"
#include "fma_loop-inl.h"
#include "kernel_table-inl.h"

}  // namespace

const KernelTable* Avx512KernelTable() {
  static constexpr KernelTable table = MakeKernelTable("avx512");
  return &table;
}

}  // namespace nonlocal
