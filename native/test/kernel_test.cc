// The kernel's own test executable (no Node, no N-API): every instruction-set table this CPU
// supports against a float64 reference written from the definitions, over a sweep of shapes,
// affinities, masks and block layouts. Built by CMake (ctest), plain and under
// AddressSanitizer + UndefinedBehaviorSanitizer; `MatrixGuard`-style checks come from ASan.
#include <cmath>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "../kernel/attention.h"
#include "../kernel/block.h"
#include "../kernel/cache_info.h"
#include "../kernel/dispatch.h"
#include "../kernel/gemm.h"
#include "../kernel/kernel_table.h"

namespace {

int failures = 0;
int checks = 0;

void Expect(bool ok, const std::string& what) {
  ++checks;
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "FAIL: %s\n", what.c_str());
  }
}

std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// panels ← the row-major depth × cols matrix b as column panels (types.h), as
// lib/block/weights.ts packs the block's weights. Padding columns stay as they were.
void PackColumnPanels(const float* b, int64_t depth, int64_t cols, float* panels) {
  const int64_t p = nonlocal::kPanelColumns;
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t j = 0; j < depth; ++j) panels[c / p * depth * p + j * p + c % p] = b[j * cols + c];
}

// y[b][h][i] per the definitions, in double, on [B][H][R][d] arrays.
std::vector<double> ReferenceAttention(const nonlocal::AttentionProblem& p) {
  const int64_t B = p.batch, H = p.heads, N = p.queries, M = p.keys, dk = p.key_width, dv = p.value_width;
  std::vector<double> y(static_cast<size_t>(B * H * N * dv), 0.0);
  const bool softmax = p.affinity == nonlocal::Affinity::kEmbeddedGaussian || p.affinity == nonlocal::Affinity::kGaussian;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < N; ++i) {
        std::vector<double> f;
        std::vector<int64_t> live;
        for (int64_t j = 0; j < M; ++j) {
          if (p.key_mask != nullptr && p.key_mask[b * M + j] == 0) continue;
          const float* q = p.query + b * p.query_strides.batch + h * p.query_strides.head + i * p.query_strides.row;
          const float* k = p.key + b * p.key_strides.batch + h * p.key_strides.head + j * p.key_strides.row;
          double s = 0.0;
          if (p.affinity == nonlocal::Affinity::kConcatenation) {
            for (int64_t c = 0; c < dk; ++c) s += double(p.concat_query_weight[c]) * q[c] + double(p.concat_key_weight[c]) * k[c];
            s = s > 0 ? s : 0;
          } else {
            for (int64_t c = 0; c < dk; ++c) s += double(q[c]) * k[c];
            s *= p.scale;
          }
          f.push_back(s);
          live.push_back(j);
        }
        if (live.empty()) continue;
        double denominator = static_cast<double>(live.size());
        if (softmax) {
          double mx = f[0];
          for (double s : f) mx = s > mx ? s : mx;
          denominator = 0;
          for (double& s : f) denominator += (s = std::exp(s - mx));
        }
        double* out = &y[static_cast<size_t>(((b * H + h) * N + i) * dv)];
        for (size_t t = 0; t < live.size(); ++t) {
          const float* v = p.value + b * p.value_strides.batch + h * p.value_strides.head + live[t] * p.value_strides.row;
          for (int64_t c = 0; c < dv; ++c) out[c] += f[t] * v[c] / denominator;
        }
      }
  return y;
}

// Runs one attention case on the active table and compares with the double reference.
void AttentionCase(int64_t B, int64_t H, int64_t N, int64_t M, int64_t dk, int64_t dv,
                   nonlocal::Affinity affinity, bool masked, int threads, const std::string& isa) {
  static uint32_t seed = 1;
  // Exact-size heap vectors: ASan reports any read or write past their ends.
  std::vector<float> q = Random(static_cast<size_t>(B * H * N * dk), seed++);
  std::vector<float> k = Random(static_cast<size_t>(B * H * M * dk), seed++);
  std::vector<float> v = Random(static_cast<size_t>(B * H * M * dv), seed++);
  std::vector<float> wq = Random(static_cast<size_t>(dk), seed++);
  std::vector<float> wk = Random(static_cast<size_t>(dk), seed++);
  std::vector<uint8_t> mask(static_cast<size_t>(B * M), 1);
  if (masked)
    for (size_t j = 0; j < mask.size(); ++j) mask[j] = (j * 2654435761u) % 3 != 0;
  std::vector<float> out(static_cast<size_t>(B * H * N * dv), -7.0f);
  nonlocal::AttentionProblem p{};
  p.batch = B; p.heads = H; p.queries = N; p.keys = M; p.key_width = dk; p.value_width = dv;
  p.query = q.data(); p.key = k.data(); p.value = v.data(); p.out = out.data();
  p.query_strides = {H * N * dk, N * dk, dk};
  p.key_strides = {H * M * dk, M * dk, dk};
  p.value_strides = {H * M * dv, M * dv, dv};
  p.out_strides = {H * N * dv, N * dv, dv};
  p.affinity = affinity;
  p.scale = affinity == nonlocal::Affinity::kConcatenation ? 1.0f : 0.6f;
  p.key_mask = masked ? mask.data() : nullptr;
  p.concat_query_weight = wq.data();
  p.concat_key_weight = wk.data();
  const nonlocal::KernelOutcome r = nonlocal::RunAttention(p, threads);
  Expect(r.status == nonlocal::Status::kOk, "RunAttention status");
  const std::vector<double> want = ReferenceAttention(p);
  double err = 0, scale = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = std::fabs(out[i] - want[i]);
    err = e > err || e != e ? e : err;
    scale = std::fabs(want[i]) > scale ? std::fabs(want[i]) : scale;
  }
  const double rel = scale > 0 ? err / scale : err;
  char label[256];
  std::snprintf(label, sizeof label, "%s attention B=%lld H=%lld N=%lld M=%lld dk=%lld dv=%lld affinity=%d masked=%d threads=%d: rel err %.3g",
                isa.c_str(), (long long)B, (long long)H, (long long)N, (long long)M, (long long)dk, (long long)dv,
                static_cast<int>(affinity), masked ? 1 : 0, threads, rel);
  Expect(rel <= 2e-5, label);
}

// OutputLayout::kTransposedPanels against the row layout of the same call: the same quotients
// (bitwise), at their panel positions, and nothing written past the last query of the last panel.
void TransposedOutputCase(int64_t N, int64_t M, int64_t dk, int64_t dv, nonlocal::Affinity affinity,
                          bool all_masked, int threads, const std::string& isa) {
  std::vector<float> q = Random(static_cast<size_t>(N * dk), 201);
  std::vector<float> k = Random(static_cast<size_t>(M * dk), 202);
  std::vector<float> v = Random(static_cast<size_t>(M * dv), 203);
  std::vector<float> wq = Random(static_cast<size_t>(dk), 204), wk = Random(static_cast<size_t>(dk), 205);
  std::vector<uint8_t> mask(static_cast<size_t>(M), 0);
  nonlocal::AttentionProblem p{};
  p.batch = 1; p.heads = 1; p.queries = N; p.keys = M; p.key_width = dk; p.value_width = dv;
  p.query = q.data(); p.key = k.data(); p.value = v.data();
  p.query_strides = {0, 0, dk};
  p.key_strides = {0, 0, dk};
  p.value_strides = {0, 0, dv};
  p.affinity = affinity;
  p.scale = affinity == nonlocal::Affinity::kConcatenation ? 1.0f : 0.6f;
  p.key_mask = all_masked ? mask.data() : nullptr;
  p.concat_query_weight = wq.data();
  p.concat_key_weight = wk.data();
  std::vector<float> rows(static_cast<size_t>(N * dv));
  p.out = rows.data();
  p.out_strides = {0, 0, dv};
  Expect(nonlocal::RunAttention(p, threads).status == nonlocal::Status::kOk, "rows status");
  constexpr float kSentinel = -12345.0f;
  constexpr int64_t P = nonlocal::kPanelColumns;
  std::vector<float> panels(static_cast<size_t>(nonlocal::ColumnPanelFloats(dv, N)), kSentinel);
  p.out = panels.data();
  p.out_strides = {0, 0, 0};
  p.out_layout = nonlocal::OutputLayout::kTransposedPanels;
  Expect(nonlocal::RunAttention(p, threads).status == nonlocal::Status::kOk, "panels status");
  int64_t wrong = 0, stray = 0;
  for (int64_t panel = 0; panel * P < N; ++panel)
    for (int64_t c = 0; c < dv; ++c)
      for (int64_t l = 0; l < P; ++l) {
        const int64_t qi = panel * P + l;
        const float got = panels[static_cast<size_t>(panel * dv * P + c * P + l)];
        if (qi < N) wrong += std::memcmp(&got, &rows[static_cast<size_t>(qi * dv + c)], sizeof got) != 0;
        else stray += got != kSentinel;
      }
  Expect(wrong == 0 && stray == 0,
         isa + " transposed-panel output N=" + std::to_string(N) + " dv=" + std::to_string(dv) +
             " affinity=" + std::to_string(static_cast<int>(affinity)) + " masked=" + std::to_string(all_masked) +
             " threads=" + std::to_string(threads) + ": " + std::to_string(wrong) + " differ, " +
             std::to_string(stray) + " written past N");
  p.batch = 2;
  Expect(nonlocal::RunAttention(p, threads).status == nonlocal::Status::kInvalidArgument,
         "transposed-panel output refuses two batch items");
}

// The block against a direct double computation for one small case per mode and pooling order.
void BlockCase(nonlocal::Affinity affinity, bool sub, bool before, const std::string& isa) {
  const int64_t B = 2, C = 5, Ci = 3, T = 1, Hh = 5, Ww = 7;
  const bool gaussian = affinity == nonlocal::Affinity::kGaussian;
  nonlocal::BlockProblem p{};
  p.batch = B; p.channels = C; p.inter = Ci; p.t = T; p.h = Hh; p.w = Ww;
  p.pool_t = 1; p.pool_h = sub ? 2 : 1; p.pool_w = sub ? 2 : 1;
  p.pool_before_conv = before;
  p.affinity = affinity;
  p.scale = 0.5f;
  const int64_t N = T * Hh * Ww;
  std::vector<float> x = Random(static_cast<size_t>(B * C * N), 77, -2, 2);
  std::vector<float> out(x.size());
  const int64_t kx = nonlocal::ProjectionColumnsX(p), kp = nonlocal::ProjectionColumnsPooled(p);
  std::vector<float> wx = Random(static_cast<size_t>(C * kx), 78), bx = Random(static_cast<size_t>(kx), 79);
  std::vector<float> wp = Random(static_cast<size_t>(C * kp), 80), bp = Random(static_cast<size_t>(kp), 81);
  std::vector<float> owt = Random(static_cast<size_t>(Ci * C), 82), ob = Random(static_cast<size_t>(C), 83);
  std::vector<float> ct = Random(static_cast<size_t>(Ci), 84), cp = Random(static_cast<size_t>(Ci), 85);
  p.x = x.data(); p.out = out.data();
  // The block takes wx and wp as column panels; the reference below reads the plain layout.
  std::vector<float> wx_panels(static_cast<size_t>(nonlocal::ColumnPanelFloats(C, kx)));
  std::vector<float> wp_panels(static_cast<size_t>(nonlocal::ColumnPanelFloats(C, kp)));
  if (kx) PackColumnPanels(wx.data(), C, kx, wx_panels.data());
  if (kp) PackColumnPanels(wp.data(), C, kp, wp_panels.data());
  p.wx = kx ? wx_panels.data() : nullptr; p.bx = kx ? bx.data() : nullptr;
  p.wp = kp ? wp_panels.data() : nullptr; p.bp = kp ? bp.data() : nullptr;
  p.out_wt = owt.data(); p.out_b = ob.data(); p.concat_theta = ct.data(); p.concat_phi = cp.data();
  const nonlocal::KernelOutcome r = nonlocal::RunNonLocalBlock(p, 2);
  Expect(r.status == nonlocal::Status::kOk, "RunNonLocalBlock status");

  // Reference: positions-major θ, φ, g in double, then attention, W_z, residual.
  const int64_t Hp = sub ? Hh / 2 : Hh, Wp = sub ? Ww / 2 : Ww, M = T * Hp * Wp;
  double worst = 0, scale = 0;
  for (int64_t b = 0; b < B; ++b) {
    const float* xb = x.data() + b * C * N;
    auto proj = [&](const float* w, const float* bias, int64_t cols, int64_t col, int64_t n, const std::vector<double>& src) {
      std::vector<double> o(static_cast<size_t>(n * Ci));
      for (int64_t pos = 0; pos < n; ++pos)
        for (int64_t o_ = 0; o_ < Ci; ++o_) {
          double s = bias[col + o_];
          for (int64_t c = 0; c < C; ++c) s += double(w[c * cols + col + o_]) * src[static_cast<size_t>(c * n + pos)];
          o[static_cast<size_t>(pos * Ci + o_)] = s;
        }
      return o;
    };
    auto pool_cf = [&](const std::vector<double>& src, int64_t ch) {  // channels-first [ch][N] → [ch][M]
      if (!sub) return src;
      std::vector<double> o(static_cast<size_t>(ch * M));
      for (int64_t c = 0; c < ch; ++c)
        for (int64_t a = 0; a < Hp; ++a)
          for (int64_t d = 0; d < Wp; ++d) {
            double m = -INFINITY;
            for (int64_t u = 0; u < 2; ++u)
              for (int64_t w_ = 0; w_ < 2; ++w_) m = std::fmax(m, src[static_cast<size_t>(c * N + (2 * a + u) * Ww + 2 * d + w_)]);
            o[static_cast<size_t>(c * M + a * Wp + d)] = m;
          }
      return o;
    };
    auto to_cf = [&](const std::vector<double>& pm, int64_t n) {  // [n][Ci] → [Ci][n]
      std::vector<double> o(pm.size());
      for (int64_t pos = 0; pos < n; ++pos)
        for (int64_t c = 0; c < Ci; ++c) o[static_cast<size_t>(c * n + pos)] = pm[static_cast<size_t>(pos * Ci + c)];
      return o;
    };
    auto to_pm = [&](const std::vector<double>& cf, int64_t n) {  // [Ci][n] → [n][Ci]
      std::vector<double> o(cf.size());
      for (int64_t pos = 0; pos < n; ++pos)
        for (int64_t c = 0; c < Ci; ++c) o[static_cast<size_t>(pos * Ci + c)] = cf[static_cast<size_t>(c * n + pos)];
      return o;
    };
    std::vector<double> xd(xb, xb + C * N);
    std::vector<double> xp = pool_cf(xd, C);
    // Queries [N][dq], keys [M][dq], values [M][Ci].
    std::vector<double> qv, kv, vv;
    int64_t dq = Ci;
    if (gaussian) {
      dq = C;
      qv.resize(static_cast<size_t>(N * C));
      kv.resize(static_cast<size_t>(M * C));
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t n = 0; n < N; ++n) qv[static_cast<size_t>(n * C + c)] = xd[static_cast<size_t>(c * N + n)];
        for (int64_t m = 0; m < M; ++m) kv[static_cast<size_t>(m * C + c)] = xp[static_cast<size_t>(c * M + m)];
      }
      vv = before ? proj(wp.data(), bp.data(), kp, 0, M, xp) : to_pm(pool_cf(to_cf(proj(wx.data(), bx.data(), kx, 0, N, xd), N), Ci), M);
    } else {
      qv = proj(wx.data(), bx.data(), kx, 0, N, xd);
      if (before) {
        kv = proj(wp.data(), bp.data(), kp, 0, M, xp);
        vv = proj(wp.data(), bp.data(), kp, Ci, M, xp);
      } else {
        kv = to_pm(pool_cf(to_cf(proj(wx.data(), bx.data(), kx, Ci, N, xd), N), Ci), M);
        vv = to_pm(pool_cf(to_cf(proj(wx.data(), bx.data(), kx, 2 * Ci, N, xd), N), Ci), M);
      }
    }
    for (int64_t i = 0; i < N; ++i) {
      std::vector<double> f(static_cast<size_t>(M));
      double mx = -INFINITY;
      for (int64_t j = 0; j < M; ++j) {
        double s = 0;
        if (affinity == nonlocal::Affinity::kConcatenation) {
          for (int64_t c = 0; c < Ci; ++c) s += double(ct[c]) * qv[static_cast<size_t>(i * Ci + c)] + double(cp[c]) * kv[static_cast<size_t>(j * Ci + c)];
          s = s > 0 ? s : 0;
        } else {
          for (int64_t c = 0; c < dq; ++c) s += qv[static_cast<size_t>(i * dq + c)] * kv[static_cast<size_t>(j * dq + c)];
          s *= p.scale;
        }
        f[static_cast<size_t>(j)] = s;
        mx = s > mx ? s : mx;
      }
      double den = static_cast<double>(M);
      if (affinity == nonlocal::Affinity::kEmbeddedGaussian || gaussian) {
        den = 0;
        for (double& s : f) den += (s = std::exp(s - mx));
      }
      std::vector<double> y(static_cast<size_t>(Ci), 0.0);
      for (int64_t j = 0; j < M; ++j)
        for (int64_t c = 0; c < Ci; ++c) y[static_cast<size_t>(c)] += f[static_cast<size_t>(j)] * vv[static_cast<size_t>(j * Ci + c)] / den;
      for (int64_t c = 0; c < C; ++c) {
        double z = ob[c] + xd[static_cast<size_t>(c * N + i)];
        for (int64_t u = 0; u < Ci; ++u) z += double(owt[u * C + c]) * y[static_cast<size_t>(u)];
        const double got = out[static_cast<size_t>(b * C * N + c * N + i)];
        worst = std::fmax(worst, std::fabs(got - z));
        scale = std::fmax(scale, std::fabs(z));
      }
    }
  }
  char label[200];
  std::snprintf(label, sizeof label, "%s block affinity=%d sub=%d before=%d: rel err %.3g", isa.c_str(),
                static_cast<int>(affinity), sub ? 1 : 0, before ? 1 : 0, worst / scale);
  Expect(worst / scale <= 2e-5, label);
}

// The block's GEMM (column-panel B, micro-panel A, balanced row chunks) against float64, in the
// block's three uses: output rows padded to 16 floats on a cache line (plain, or with a column
// bias: the projections), and — the output projection — a row bias plus a residual matrix written
// straight into an unaligned output whose rows are not padded, where every float between and
// around the rows must stay untouched.
enum class GemmUse { kPlain, kColumnBias, kResidual };

void GemmCase(int64_t rows, int64_t depth, int64_t cols, int threads, GemmUse use, const std::string& isa) {
  const nonlocal::KernelTable& table = *nonlocal::ActiveKernelTable();
  const std::vector<float> a = Random(static_cast<size_t>(rows * depth), 11 + rows);  // a[j][r]
  const std::vector<float> b = Random(static_cast<size_t>(depth * cols), 13 + cols);  // b[j][c]
  const std::vector<float> column_bias = Random(static_cast<size_t>(cols), 17);
  const std::vector<float> row_bias = Random(static_cast<size_t>(rows), 19);
  const int64_t residual_stride = cols + 5;
  const std::vector<float> residual = Random(static_cast<size_t>(rows * residual_stride), 23);
  const bool into_output = use == GemmUse::kResidual;
  const int64_t stride = into_output ? cols + 3 : (cols + 15) / 16 * 16;
  std::vector<float> panels(static_cast<size_t>(nonlocal::ColumnPanelFloats(depth, cols)));
  PackColumnPanels(b.data(), depth, cols, panels.data());
  // 64-byte aligned as the block's scratch carver hands it out, or one float past a cache line.
  constexpr float kSentinel = -12345.0f;
  std::vector<float> storage(static_cast<size_t>(rows * stride + 64), kSentinel);
  float* acc = storage.data() + (16 - (reinterpret_cast<uintptr_t>(storage.data()) / 4) % 16) % 16 +
               (into_output ? 17 : 0);
  std::vector<const float*> pointers(static_cast<size_t>(depth));
  nonlocal::GemmInit init{};
  if (use == GemmUse::kColumnBias) init.column_bias = column_bias.data();
  if (into_output) init = nonlocal::GemmInit{nullptr, row_bias.data(), residual.data(), residual_stride};
  const nonlocal::KernelOutcome outcome = nonlocal::Gemm(
      table, a.data(), rows, rows, panels.data(), depth, cols, init, acc, stride, pointers.data(), threads);
  Expect(outcome.status == nonlocal::Status::kOk, "gemm status");
  double worst = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      double want = use == GemmUse::kColumnBias ? column_bias[c] : 0.0;
      if (into_output) want += double(row_bias[r]) + residual[r * residual_stride + c];
      double scale = 1.0;
      for (int64_t j = 0; j < depth; ++j) {
        want += double(a[j * rows + r]) * b[j * cols + c];
        scale += std::fabs(double(a[j * rows + r]) * b[j * cols + c]);
      }
      worst = std::fmax(worst, std::fabs(acc[r * stride + c] - want) / scale);
    }
  const std::string label = isa + " gemm " + std::to_string(rows) + "x" + std::to_string(depth) + "x" +
                            std::to_string(cols) + " t" + std::to_string(threads) + " use " +
                            std::to_string(static_cast<int>(use));
  Expect(worst <= 1e-6, label + ": error " + std::to_string(worst));
  if (into_output) {
    int64_t touched = 0;
    for (size_t k = 0; k < storage.size(); ++k) {
      const int64_t offset = static_cast<int64_t>(&storage[k] - acc);
      const bool live = offset >= 0 && offset < rows * stride && offset % stride < cols;
      touched += !live && storage[k] != kSentinel;
    }
    Expect(touched == 0, label + ": " + std::to_string(touched) + " floats outside the output written");
  }
}

}  // namespace

// The cache sizes the blocking reads: the size parser, and cpuid's answer against sysfs's.
void CacheCases() {
  Expect(nonlocal::ParseCacheSize("48K") == 48 << 10, "ParseCacheSize 48K");
  Expect(nonlocal::ParseCacheSize("2048K") == 2 << 20, "ParseCacheSize 2048K");
  Expect(nonlocal::ParseCacheSize("32M") == 32 << 20, "ParseCacheSize 32M");
  Expect(nonlocal::ParseCacheSize("1G") == int64_t{1} << 30, "ParseCacheSize 1G");
  Expect(nonlocal::ParseCacheSize("512") == 512, "ParseCacheSize 512");
  for (const char* bad : {"", "K", "12Q", "1.5M", "-4K", "48K ", "99999999999999999999K"})
    Expect(nonlocal::ParseCacheSize(bad) == 0, std::string("ParseCacheSize rejects '") + bad + "'");
  const nonlocal::CacheSizes& host = nonlocal::HostCaches();
  Expect(host.l1d >= 4096 && host.l2 > host.l1d && host.l3 >= host.l2, "HostCaches ordered: l1d < l2 <= l3");
  nonlocal::CacheSizes from_cpuid{0, 0, 0, "cpuid"};
  if (nonlocal::CachesFromCpuid(4, &from_cpuid) || nonlocal::CachesFromCpuid(0x8000001D, &from_cpuid)) {
    Expect(from_cpuid.l1d > 0 && from_cpuid.l2 > 0, "cpuid reports L1d and L2");
    if (std::strcmp(host.source, "sysfs") == 0) {
      // the same L1d and L2 per core (L3 slices may be reported per die or per socket)
      Expect(from_cpuid.l1d == host.l1d && from_cpuid.l2 == host.l2, "cpuid's L1d and L2 equal sysfs's");
    }
  }
  std::printf("caches: l1d %lld, l2 %lld, l3 %lld bytes (%s)\n", static_cast<long long>(host.l1d),
              static_cast<long long>(host.l2), static_cast<long long>(host.l3), host.source);
}

int main() {
  CacheCases();
  const char* names[3] = {nullptr, nullptr, nullptr};
  const int count = nonlocal::SupportedIsas(names);
  const nonlocal::Affinity affinities[] = {nonlocal::Affinity::kEmbeddedGaussian, nonlocal::Affinity::kGaussian,
                                           nonlocal::Affinity::kDotProduct, nonlocal::Affinity::kConcatenation};
  for (int t = 0; t < count; ++t) {
    const std::string isa = names[t];
    Expect(nonlocal::SelectIsa(names[t]), "SelectIsa " + isa);
    const int64_t gemm_shapes[][3] = {{1, 1, 1},    {5, 7, 15},   {12, 128, 16}, {13, 129, 17},
                                      {97, 3, 63},  {97, 300, 64}, {200, 130, 65}, {25, 257, 130},
                                      {300, 64, 1}, {6, 1, 200},  {30, 1100, 70}, {7, 2049, 20}};
    for (const auto& g : gemm_shapes)
      for (int threads : {1, 2, 3})
        GemmCase(g[0], g[1], g[2], threads, static_cast<GemmUse>(threads - 1), isa);
    for (nonlocal::Affinity a : affinities) {
      for (int64_t n = 1; n <= 35; n += 2) AttentionCase(1, 1, n, 37 - n, 1 + n % 19, 1 + (3 * n) % 37, a, false, 1, isa);
      AttentionCase(2, 3, 33, 129, 17, 40, a, true, 2, isa);
      AttentionCase(1, 1, 70, 300, 65, 33, a, true, 3, isa);
      AttentionCase(1, 2, 1, 1, 1, 1, a, false, 2, isa);
      AttentionCase(1, 1, 40, 200, 20, 150, a, true, 2, isa);  // dv over several column panels
      AttentionCase(1, 1, 700, 150, 256, 300, a, true, 1, isa);  // wide heads: 128-query tasks, a tail
      TransposedOutputCase(1, 3, 5, 7, a, false, 1, isa);
      TransposedOutputCase(100, 37, 20, 33, a, false, 2, isa);     // a partial last panel, dv tail
      TransposedOutputCase(300, 50, 64, 64, a, false, 3, isa);
      TransposedOutputCase(130, 20, 16, 48, a, true, 2, isa);      // every key masked: zeros
      TransposedOutputCase(784, 196, 512, 512, a, false, 2, isa);  // the C = 1024, 28 × 28 block
      for (bool sub : {false, true})
        for (bool before : {false, true})
          if (sub || !before) BlockCase(a, sub, before, isa);
    }
  }
  std::printf("kernel_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
