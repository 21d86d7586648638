// exp(x) for every ISA: the constants, the polynomial and (for the vector ISAs) the whole
// evaluation in one place, plus the table's exp_array test hook.
//
//   x = n·ln2 + r, n = round(x·log2 e), |r| ≤ ln2/2      (Cody–Waite: ln2 split in a head whose
//                                                        product with n is exact, and a tail)
//   e^r ≈ 1 + r·(1 + r·P(r))                              (Cephes' expf coefficients: ≤ 2 ulp)
//   e^x = e^r · 2^n
//
// The vector path rounds with the 1.5·2^23 trick: b = x·log2e + (1.5·2^23 + 127) in one FMA lands
// in [2^23, 2^24), where a float's spacing is 1, so b is rounded to an integer and its low mantissa
// bits hold n + 127 — the exponent field of 2^n, a shift away — and n = b − (1.5·2^23 + 127)
// exactly. That is 2 operations for n and 1 for 2^n, against 3 and 3 with vroundps and a
// float→int conversion; with e^r's Horner form ending in two FMAs, the scaling and the zeroing
// below ln(FLT_MIN) it is 15 vector operations on AVX-512 (12 for the softmax's: kNonPositive).
//
// Inputs above 88 are clamped there (softmax only ever passes x ≤ 0, so this never binds). Inputs
// below ln(FLT_MIN) give 0 (the true value is subnormal, < 1.2e-38 absolute); −∞ gives 0; NaN
// stays NaN because the clamps keep NaN operands in the NaN-winning position. The clamp keeps n in
// [−126, 127], so 2^n is a normal float.
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*,
// *before* it defines `struct Simd` (Simd::exp calls VectorExp<Simd>): every function here is a
// template or a constant with internal linkage, so no -mavx512f code is shared between units
// (kernel_table.h). Includes no header.
#ifndef NONLOCAL_KERNEL_ISA_EXP_INL_H_
#define NONLOCAL_KERNEL_ISA_EXP_INL_H_

constexpr float kExpMin = -87.33654475f;  // ln(FLT_MIN): below it the result is 0
constexpr float kExpMax = 88.0f;          // clamp: e^88 < FLT_MAX
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;     // ln 2 to 9 bits: n·kLn2Hi is exact for |n| < 2^15
constexpr float kLn2Lo = -2.12194440e-4f;  // ln 2 − kLn2Hi
constexpr float kExpRoundBias = 12583039.0f;  // 1.5·2^23 + 127: see the rounding trick above
// P(r), highest degree first.
constexpr float kExpPoly[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                               4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};
// The softmax's exp (kNonPositive): e^r ≈ 1 + r·Q(r), Q of degree 4, highest degree first — a
// minimax fit of (e^r − 1)/r weighted by |r|/e^r on |r| ≤ ln2/2 (Lawson's iteration; relative
// error 9.1e-8 before rounding, about 0.8 ulp). Two FMAs fewer than 1 + r·(1 + r·P(r)); measured
// ≤ 2 ulp on [ln(FLT_MIN), 0] with the vector ISAs' FMAs (test/native/exp.test.ts).
constexpr float kSoftmaxExpPoly[5] = {8.290315047e-3f, 4.189793020e-2f, 1.666763574e-1f,
                                      4.999915063e-1f, 9.999997020e-1f};

// A polynomial in r by Horner's rule with S::fmadd, coefficients highest degree first (S::V may be
// a vector or, for the scalar path, one float).
template <typename S, int K>
typename S::V Horner(const float (&coefficients)[K], typename S::V r) {
  typename S::V poly = S::set1(coefficients[0]);
  #pragma GCC unroll 8
  for (int k = 1; k < K; ++k) poly = S::fmadd(poly, r, S::set1(coefficients[k]));
  return poly;
}

// P(r) of e^r ≈ 1 + r·(1 + r·P(r)).
template <typename S>
typename S::V ExpPolynomial(typename S::V r) {
  return Horner<S>(kExpPoly, r);
}

// exp on whole vectors. S must provide, besides set1 sub fmadd:
//   min(a, b), max(a, b)     vminps / vmaxps (a NaN in b wins)
//   fnmadd(a, b, c)          c − a·b, fused
//   scale2n_above(v, n, b, x, lo)
//                            v·2^n for integral n ∈ [−126, 127], b = n + kExpRoundBias (either may
//                            be used; NaN n: any NaN), and 0 in the lanes where x < lo (ordered:
//                            NaN lanes keep the product)
//
// kNonPositive: x ≤ 0, −∞ or NaN only (the softmax's x − max): no upper clamp, and the shorter
// polynomial kSoftmaxExpPoly — three vector operations fewer. The lower clamp stays although
// scale2n_above zeroes those lanes anyway: without it AVX-512's vscalefps would compute subnormal
// 2^n for x just below ln(FLT_MIN), which Intel cores finish in microcode at ~100 times the cost.
template <typename S, bool kNonPositive = false>
typename S::V VectorExp(typename S::V x) {
  using V = typename S::V;
  const V lo = S::set1(kExpMin);
  const V one = S::set1(1.0f);
  const V clamped = kNonPositive ? S::max(lo, x) : S::min(S::set1(kExpMax), S::max(lo, x));
  const V biased = S::fmadd(clamped, S::set1(kLog2e), S::set1(kExpRoundBias));
  const V n = S::sub(biased, S::set1(kExpRoundBias));
  V r = S::fnmadd(n, S::set1(kLn2Hi), clamped);
  r = S::fnmadd(n, S::set1(kLn2Lo), r);
  const V er = kNonPositive ? S::fmadd(Horner<S>(kSoftmaxExpPoly, r), r, one)
                            : S::fmadd(S::fmadd(ExpPolynomial<S>(r), r, one), r, one);
  return S::scale2n_above(er, n, biased, x, lo);
}

// The table's exp_array: out[i] = S::exp(in[i]) (or, `softmax`, S::exp_nonpositive) over whole
// vectors, then one masked tail (for accuracy tests).
template <typename S>
void ExpArray(const float* in, float* out, int64_t count, bool softmax) {
  const auto exp = [softmax](typename S::V x) { return softmax ? S::exp_nonpositive(x) : S::exp(x); };
  int64_t i = 0;
  for (; i + S::W <= count; i += S::W) S::storeu(out + i, exp(S::loadu(in + i)));
  if (i < count) {
    const int tail = static_cast<int>(count - i);
    S::storen(out + i, exp(S::loadn(in + i, tail)), tail);
  }
}

#endif  // NONLOCAL_KERNEL_ISA_EXP_INL_H_
