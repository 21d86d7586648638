// NEON (AArch64 Advanced SIMD) kernels. NEON is part of every ARMv8-A CPU, so this unit needs no
// extra flags and is the default table on arm64 (dispatch.cc); NONLOCAL_AFFINITY_ISA=scalar lowers
// it. Built only for arm64 targets (binding.gyp, CMakeLists.txt).
//
// Tiles for the 32 128-bit registers (4 floats each), as the 6 × 16 of BLIS's and MLAS's NEON
// sgemm kernels: per depth step 24 FMAs against 4 vector loads and 6 one-float broadcasts (ld1r).
// Neoverse N1 issues 2 128-bit FMAs and 2 loads a cycle: the 24 FMAs take 12 cycles and the 10
// loads 5, so the tile can run at the FMA peak; on V1 (4 FMA pipes, 3 loads) 6 against 3.3.
#include <arm_neon.h>

#include <cstdint>

#include "../kernel_table.h"
#include "../runtime/phase_profile.h"

namespace nonlocal {
namespace {

#include "exp-inl.h"

struct Simd {
  using V = float32x4_t;
  static constexpr int W = 4;
  // Sᵀ tile 6 keys × 16 queries: 24 accumulators + 4 query vectors + 1 broadcast of 32 registers.
  static constexpr int kScoreKeys = 6;
  static constexpr int kScoreVecs = 4;
  // P·V tile 6 queries × 16 columns: 24 accumulators + 4 value vectors + 1 broadcast.
  static constexpr int kValueRows = 6;
  static constexpr int kValueVecs = 4;
  // The row layout for an attention bias (kernel_table.h): not measured on an ARM machine.
  static constexpr bool kBiasRowLayout = false;
  // FMA chains for the peak measurement: ≥ latency (4) × FMA pipes (2 on N1, 4 on V1).
  static constexpr int kFmaChains = 16;

  static V zero() { return vdupq_n_f32(0.0f); }
  static V set1(float x) { return vdupq_n_f32(x); }
  static V load(const float* p) { return vld1q_f32(p); }
  static V loadu(const float* p) { return vld1q_f32(p); }
  // First n lanes (1 ≤ n ≤ 4), the others 0; reads only those n floats.
  static V loadn(const float* p, int n) {
    float lanes[W] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < n; ++i) lanes[i] = p[i];
    return vld1q_f32(lanes);
  }
  static void store(float* p, V v) { vst1q_f32(p, v); }
  static void storeu(float* p, V v) { vst1q_f32(p, v); }
  static void storen(float* p, V v, int n) {
    float lanes[W];
    vst1q_f32(lanes, v);
    for (int i = 0; i < n; ++i) p[i] = lanes[i];
  }
  static V fmadd(V a, V b, V c) { return vfmaq_f32(c, a, b); }
  static V add(V a, V b) { return vaddq_f32(a, b); }
  static V sub(V a, V b) { return vsubq_f32(a, b); }
  static V mul(V a, V b) { return vmulq_f32(a, b); }
  static V div(V a, V b) { return vdivq_f32(a, b); }
  // FMAX / FMIN return NaN when either operand is NaN, so a NaN in `b` survives (as the kernels need).
  static V max(V a, V b) { return vmaxq_f32(a, b); }
  static V min(V a, V b) { return vminq_f32(a, b); }

  // In-place 4 × 4 transpose: r[c][i] ← r[i][c]. trn1/trn2 pair the rows' even and odd lanes,
  // then the 64-bit halves are recombined.
  static void transpose(V (&r)[W]) {
    const float32x4x2_t t01 = vtrnq_f32(r[0], r[1]);  // [r0₀ r1₀ r0₂ r1₂], [r0₁ r1₁ r0₃ r1₃]
    const float32x4x2_t t23 = vtrnq_f32(r[2], r[3]);
    r[0] = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
    r[1] = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
    r[2] = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
    r[3] = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
  }

  // exp (exp-inl.h) and the steps it needs.
  static V exp(V x) { return VectorExp<Simd>(x); }
  static V exp_nonpositive(V x) { return VectorExp<Simd, true>(x); }  // x ≤ 0, −∞, NaN
  static V fnmadd(V a, V b, V c) { return vfmsq_f32(c, a, b); }  // c − a·b, fused
  // 2^n built in the exponent field: b's low bits are n + 127 (exp-inl.h), shifted into place.
  // FCMLT is an ordered compare: false in NaN lanes, which keep the product.
  static V scale2n_above(V v, V /*n*/, V b, V x, V lo) {
    const V scaled = vmulq_f32(v, vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(b), 23)));
    return vbslq_f32(vcltq_f32(x, lo), vdupq_n_f32(0.0f), scaled);
  }
};

#include "microkernel-inl.h"
#include "attention_io-inl.h"
#include "attention_task-inl.h"
#include "fma_loop-inl.h"
#include "kernel_table-inl.h"

}  // namespace

const KernelTable* NeonKernelTable() {
  static constexpr KernelTable table = MakeKernelTable("neon");
  return &table;
}

}  // namespace nonlocal
