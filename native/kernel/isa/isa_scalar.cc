// The "scalar" path: plain C++ over a fixed array of 8 floats, compiled with the baseline flags
// of the target (SSE2 on x86-64, NEON on arm64 — the compiler vectorises these lane loops). This is the
// fallback on CPUs without AVX2 and the path NONLOCAL_AFFINITY_ISA=scalar forces.
#include <cstdint>
#include <cstring>

#include "../kernel_table.h"
#include "../runtime/phase_profile.h"

namespace nonlocal {
namespace {

#include "exp-inl.h"

// One float as exp-inl.h's ExpPolynomial sees it: a·b + c as written, like the rest of this file's
// arithmetic (x86-64's baseline has no FMA, so each step is rounded).
struct Lane {
  using V = float;
  static float set1(float x) { return x; }
  static float fmadd(float a, float b, float c) { return a * b + c; }
};

struct Simd {
  static constexpr int W = 8;
  struct V {
    float lane[W];
  };
  static constexpr int kScoreKeys = 4;
  static constexpr int kScoreVecs = 2;
  static constexpr int kValueRows = 4;
  // FMA chains for the peak measurement: ≥ latency × FMA ports, within the register file.
  static constexpr int kFmaChains = 8;
  static constexpr int kValueVecs = 2;
  // The row layout for an attention bias (kernel_table.h): no transposes to save.
  static constexpr bool kBiasRowLayout = false;

  static V zero() { return set1(0.0f); }
  static V set1(float x) {
    V r;
    for (int i = 0; i < W; ++i) r.lane[i] = x;
    return r;
  }
  static V load(const float* p) { return loadn(p, W); }
  static V loadu(const float* p) { return loadn(p, W); }
  static V loadn(const float* p, int n) {
    V r = zero();
    for (int i = 0; i < n; ++i) r.lane[i] = p[i];
    return r;
  }
  static void store(float* p, V v) { storen(p, v, W); }
  static void storeu(float* p, V v) { storen(p, v, W); }
  static void storen(float* p, V v, int n) {
    for (int i = 0; i < n; ++i) p[i] = v.lane[i];
  }
  static V fmadd(V a, V b, V c) {
    for (int i = 0; i < W; ++i) c.lane[i] = a.lane[i] * b.lane[i] + c.lane[i];
    return c;
  }
  static V add(V a, V b) {
    for (int i = 0; i < W; ++i) a.lane[i] += b.lane[i];
    return a;
  }
  static V sub(V a, V b) {
    for (int i = 0; i < W; ++i) a.lane[i] -= b.lane[i];
    return a;
  }
  static V mul(V a, V b) {
    for (int i = 0; i < W; ++i) a.lane[i] *= b.lane[i];
    return a;
  }
  static V div(V a, V b) {
    for (int i = 0; i < W; ++i) a.lane[i] /= b.lane[i];
    return a;
  }
  static void transpose(V (&r)[W]) {  // in place: r[c][i] ← r[i][c]
    V t[W];
    for (int i = 0; i < W; ++i)
      for (int c = 0; c < W; ++c) t[c].lane[i] = r[i].lane[c];
    for (int i = 0; i < W; ++i) r[i] = t[i];
  }
  // Same rule as vmaxps: a if a > b, else b — so a NaN in either operand yields b.
  static V max(V a, V b) {
    for (int i = 0; i < W; ++i) a.lane[i] = a.lane[i] > b.lane[i] ? a.lane[i] : b.lane[i];
    return a;
  }
  static V exp_nonpositive(V x) { return exp(x); }  // the same lane-by-lane exp
  static V exp(V x) {
    for (int i = 0; i < W; ++i) x.lane[i] = ExpLane(x.lane[i]);
    return x;
  }

  // exp-inl.h's exp one lane at a time, with its constants and polynomial: x = n·ln2 + r,
  // e^r ≈ 1 + r + r²·P(r), e^x = e^r·2^n. The order of operations differs from VectorExp's —
  // ((P·r)·r + r) + 1, each step rounded — and is kept as it is so this path's results stay the
  // same bit for bit; the NaN test comes first so no NaN reaches the float→int cast (UB).
  static float ExpLane(float x) {
    if (!(x == x)) return x;              // NaN stays NaN
    if (x < kExpMin) return 0.0f;         // true value is subnormal or 0 (−∞)
    const float clamped = x > kExpMax ? kExpMax : x;
    // Round to nearest with the 1.5·2^23 trick: exact for |t| < 2^22, no libm call.
    const float t = clamped * kLog2e;
    const float n = (t + 12582912.0f) - 12582912.0f;
    float r = clamped - n * kLn2Hi;
    r = r - n * kLn2Lo;
    const float poly = ExpPolynomial<Lane>(r);
    const float er = poly * r * r + r + 1.0f;
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return er * scale;
  }
};

#include "microkernel-inl.h"
#include "attention_io-inl.h"
#include "attention_task-inl.h"
#include "fma_loop-inl.h"
#include "kernel_table-inl.h"

}  // namespace

const KernelTable* ScalarKernelTable() {
  static constexpr KernelTable table = MakeKernelTable("scalar");
  return &table;
}

}  // namespace nonlocal
