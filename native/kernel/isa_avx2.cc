// AVX2 + FMA kernels. Compiled with -mavx2 -mfma (its own static target / per-file flags) and
// reached only through Avx2KernelTable() after dispatch.cc has checked cpuid and xgetbv.
#include <immintrin.h>

#include <cstdint>

#include "kernel_table.h"

namespace nonlocal {
namespace {

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
  // vmaxps returns its second operand when either is NaN: a NaN in `b` survives.
  static V max(V a, V b) { return _mm256_max_ps(a, b); }

  // Lane i is live iff i < n: compare the lane index with n.
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

  static __m256i Lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }

  // exp(x): the same reduction and polynomial as the AVX-512 file (about 1 ulp); 2^n is built in
  // the exponent field, which the clamp keeps within [-126, 127].
  static V exp(V x) {
    const V lo = _mm256_set1_ps(-87.33654475f);
    const V hi = _mm256_set1_ps(88.0f);
    const V clamped = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
    const V n = _mm256_round_ps(_mm256_mul_ps(clamped, _mm256_set1_ps(1.44269504088896341f)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), clamped);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    V poly = _mm256_set1_ps(1.9875691500e-4f);
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.3981999507e-3f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(8.3334519073e-3f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(4.1665795894e-2f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.6666665459e-1f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(5.0000001201e-1f));
    const V r2 = _mm256_mul_ps(r, r);
    const V er = _mm256_add_ps(_mm256_fmadd_ps(poly, r2, r), _mm256_set1_ps(1.0f));
    // n ∈ [-126, 127] after the clamp (NaN converts to INT_MIN, and NaN·anything stays NaN).
    const __m256i bits = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    const V result = _mm256_mul_ps(er, _mm256_castsi256_ps(bits));
    const V underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    return _mm256_andnot_ps(underflow, result);
  }
};

#include "flash_impl.inc"

}  // namespace

const KernelTable* Avx2KernelTable() {
  static const KernelTable table{"avx2", Simd::W, Simd::kScoreVecs * Simd::W,
                                    Simd::kScoreKeys, Simd::kValueRows, &RunTask,
                                    &OuterAccumulate, &FmaLoop, &ExpArray};
  return &table;
}

}  // namespace nonlocal
