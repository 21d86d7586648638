// AVX2 + FMA kernels. Compiled with -mavx2 -mfma (its own static target / per-file flags) and
// reached only through Avx2KernelTable() after dispatch.cc has checked cpuid and xgetbv.
#include <immintrin.h>

#include <cstdint>

#include "../kernel_table.h"
#include "../runtime/phase_profile.h"

namespace nonlocal {
namespace {

#include "exp-inl.h"

struct Simd {
  using V = __m256;
  static constexpr int W = 8;
  // 16 ymm registers: Sᵀ tile 6 keys × 16 queries = 12 accumulators + 2 query vectors + 1 broadcast.
  static constexpr int kScoreKeys = 6;
  static constexpr int kScoreVecs = 2;
  // P·V tile 6 queries × 16 columns = 12 accumulators + 2 value vectors + 1 broadcast.
  static constexpr int kValueRows = 6;
  // FMA chains for the peak measurement: ≥ latency × FMA ports, within the register file.
  static constexpr int kFmaChains = 12;
  static constexpr int kValueVecs = 2;
  // The row layout for an attention bias (kernel_table.h): not here — its 6 × 16 score GEMM
  // tile ran slower than the Sᵀ tile plus the bias transposes.
  static constexpr bool kBiasRowLayout = false;

  static V zero() { return _mm256_setzero_ps(); }
  static V set1(float x) { return _mm256_set1_ps(x); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  // First n lanes (1 ≤ n ≤ 8); vmaskmovps does not touch masked lanes, so no read past the end.
  static V loadn(const float* p, int n) { return _mm256_maskload_ps(p, Lanes(n)); }
  static void store(float* p, V v) { _mm256_store_ps(p, v); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static void storen(float* p, V v, int n) { _mm256_maskstore_ps(p, Lanes(n), v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  // vmaxps / vminps return their second operand when either is NaN: a NaN in `b` survives.
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }

  // In-place 8×8 transpose: r[c][i] ← r[i][c]. Floats paired within 128-bit lanes, then 64-bit
  // pairs (each lane a 4×4 block transposed), then the two lanes (vperm2f128).
  static void transpose(V (&r)[W]) {
    V t[W];
    for (int i = 0; i < W; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    V u[2][4];  // u[g][k], lane L: column 4L + k of rows 4g .. 4g + 3
    for (int g = 0; g < 2; ++g) {
      const __m256d a = _mm256_castps_pd(t[4 * g]), b = _mm256_castps_pd(t[4 * g + 2]);
      const __m256d c = _mm256_castps_pd(t[4 * g + 1]), d = _mm256_castps_pd(t[4 * g + 3]);
      u[g][0] = _mm256_castpd_ps(_mm256_unpacklo_pd(a, b));
      u[g][1] = _mm256_castpd_ps(_mm256_unpackhi_pd(a, b));
      u[g][2] = _mm256_castpd_ps(_mm256_unpacklo_pd(c, d));
      u[g][3] = _mm256_castpd_ps(_mm256_unpackhi_pd(c, d));
    }
    for (int k = 0; k < 4; ++k) {
      r[k] = _mm256_permute2f128_ps(u[0][k], u[1][k], 0x20);
      r[4 + k] = _mm256_permute2f128_ps(u[0][k], u[1][k], 0x31);
    }
  }

  // Lane i is live iff i < n: compare the lane index with n.
  static __m256i Lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }

  // exp (exp-inl.h) and the steps it needs.
  static V exp(V x) { return VectorExp<Simd>(x); }
  static V exp_nonpositive(V x) { return VectorExp<Simd, true>(x); }  // x ≤ 0, −∞, NaN
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  // 2^n built in the exponent field: b's low bits are n + 127 (exp-inl.h), shifted into place,
  // exact for n ∈ [−126, 127]. A NaN b gives some bits, but then x is NaN too and so is the product.
  static V scale2n_above(V v, V /*n*/, V b, V x, V lo) {
    const V scaled = _mm256_mul_ps(v, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(b), 23)));
    return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), scaled);
  }
};

#include "microkernel-inl.h"
#include "attention_io-inl.h"
#include "attention_task-inl.h"
#include "fma_loop-inl.h"
#include "kernel_table-inl.h"

}  // namespace

const KernelTable* Avx2KernelTable() {
  static constexpr KernelTable table = MakeKernelTable("avx2");
  return &table;
}

}  // namespace nonlocal
