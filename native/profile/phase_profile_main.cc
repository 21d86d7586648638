// The phase profiler: where the time of the benchmark's shapes goes, per instruction set and
// thread count — the score microkernel, the softmax pass, value packing, the value microkernel,
// the output, and (for the block) its GEMMs — and how far apart the threads finish.
//
// Built only by CMake with -DNONLOCAL_PROFILE=ON, which compiles the kernel with the TSC marks of
// runtime/phase_profile.h (every other build has none):
//
//   cmake -S . -B /tmp/profile -DNONLOCAL_PROFILE=ON && cmake --build /tmp/profile -j2
//   /tmp/profile/phase_profile [--isa avx2] [--threads 2] [--only 4096] [--calls 20]
//
// --calls N runs exactly N timed calls per shape instead of a time budget and skips the peak, so
// that two builds can be compared by whole-process time, run in alternation.
//
// Figures: GFLOP/s of the marked build (the marks cost well under 1 %: two TSC reads per key
// block of ~10^6 FLOPs), % of the ISA's FMA peak measured at the same thread count, each phase's
// share of the summed thread time, and the imbalance = (last finish − first finish) / wall.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../kernel/attention.h"
#include "../kernel/block.h"
#include "../kernel/dispatch.h"
#include "../kernel/kernel_table.h"
#include "../kernel/peak.h"
#include "../kernel/runtime/phase_profile.h"

namespace {

using nonlocal::PhaseTotals;

const char* const kPhaseNames[nonlocal::kPhaseCount] = {
    "query prologue", "gather", "scores (QK)", "bias/causal mask", "softmax", "value pack",
    "values (PV)",    "store"};
const char* const kStageNames[nonlocal::kStageCount] = {"projections", "keys/values", "transpose",
                                                         "attention", "output GEMM"};

struct OperatorShape {
  const char* id;
  int64_t n, m, d;
  int64_t heads = 1;
  bool bias = false;    // an additive bias [1, H, N, M]
  bool causal = false;  // upper-left
  int64_t kv_heads = 0;
};
struct BlockShape {
  const char* id;
  int64_t c, ci, h, w;
  bool sub;
};

// The benchmark's shapes (bench/shapes.ts).
const OperatorShape kOperatorShapes[] = {
    {"[1,64,64]^2", 64, 64, 64},         {"[1,1024,64]^2", 1024, 1024, 64},
    {"[1,4096,64]^2", 4096, 4096, 64},
    {"N=1568 M=392 d=512", 1568, 392, 512}, {"N=M=3400 d=512", 3400, 3400, 512},
    {"N=M=16384 d=64", 16384, 16384, 64},
    // The masked rows (bench/shapes.ts MASKED_SHAPES).
    {"causal [1,4096,64]^2", 4096, 4096, 64, 1, false, true},
    {"[1,8,1024,64]+bias", 1024, 1024, 64, 8, true, false},
    {"causal GQA [1,32,2048,128]", 2048, 2048, 128, 32, false, true, 8}};
const BlockShape kBlockShapes[] = {{"block C=1024 50x68", 1024, 512, 50, 68, false},
                                   {"block C=512 64x64", 512, 256, 64, 64, false},
                                   {"block C=1024 28x28 sub", 1024, 512, 28, 28, true}};

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

double Seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void ResetCounters() {
  std::memset(nonlocal::g_phase_profile, 0, sizeof nonlocal::g_phase_profile);
  std::memset(nonlocal::g_stage_ticks, 0, sizeof nonlocal::g_stage_ticks);
}

int g_fixed_calls = 0;  // --calls
int g_timed_calls = 0;  // how many calls the counters hold

int Calls() { return g_timed_calls; }

// Runs `call` until about `budget` seconds have passed (at least 3 times; exactly --calls times
// if given) after one warm-up, with the counters reset after the warm-up; returns the median
// seconds per call.
template <typename Call>
double TimeCalls(const Call& call, double budget) {
  call();
  ResetCounters();
  std::vector<double> times;
  const auto begin = std::chrono::steady_clock::now();
  const auto more = [&] {
    if (g_fixed_calls > 0) return static_cast<int>(times.size()) < g_fixed_calls;
    return times.size() < 3 || Seconds(begin, std::chrono::steady_clock::now()) < budget;
  };
  while (more()) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    times.push_back(Seconds(t0, std::chrono::steady_clock::now()));
  }
  g_timed_calls = static_cast<int>(times.size());
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  return sorted[sorted.size() / 2];
}

// `product_flops`: the FLOPs of one of the two products (Sᵀ = K·Qᵀ, or P·V) in the timed calls,
// to give each microkernel's own rate per thread inside the operator.
void PrintPhases(int threads, double calls_wall_ticks, double product_flops, double tps) {
  uint64_t total = 0, phase[nonlocal::kPhaseCount] = {};
  uint64_t first_finish = UINT64_MAX, last_finish = 0, tasks = 0;
  for (int t = 0; t < threads; ++t) {
    const PhaseTotals& p = nonlocal::g_phase_profile[t];
    for (int i = 0; i < nonlocal::kPhaseCount; ++i) {
      phase[i] += p.ticks[i];
      total += p.ticks[i];
    }
    tasks += p.tasks;
    if (p.finish != 0) {
      first_finish = std::min(first_finish, p.finish);
      last_finish = std::max(last_finish, p.finish);
    }
  }
  const auto thread_seconds = [&](int i) { return phase[i] / tps; };  // summed over threads
  std::printf("    phases (share of summed thread time, %llu tasks):",
              static_cast<unsigned long long>(tasks));
  for (int i = 0; i < nonlocal::kPhaseCount; ++i)
    if (phase[i] > 0) std::printf(" %s %.1f%%", kPhaseNames[i], 100.0 * phase[i] / total);
  std::printf("\n");
  const auto rate = [&](int i) { return product_flops / thread_seconds(i) / 1e9; };
  std::printf("    per thread: scores %.1f GFLOP/s, values %.1f GFLOP/s\n", rate(nonlocal::kPhaseScores),
              rate(nonlocal::kPhaseValues));
  if (threads > 1 && last_finish > first_finish)
    std::printf("    last call: threads finished %.1f%% of a call's time apart\n",
                100.0 * (last_finish - first_finish) / calls_wall_ticks);
}

double TicksPerSecond() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = __rdtsc();
  while (Seconds(t0, std::chrono::steady_clock::now()) < 0.05) {
  }
  return (__rdtsc() - c0) / Seconds(t0, std::chrono::steady_clock::now());
}

void ProfileOperator(const OperatorShape& s, int threads, double peak, double tps) {
  const int64_t h = s.heads, hkv = s.kv_heads == 0 ? s.heads : s.kv_heads;
  const std::vector<float> q = Random(h * s.n * s.d, 1, 1.0f), k = Random(hkv * s.m * s.d, 2, 1.0f),
                           v = Random(hkv * s.m * s.d, 3, 1.0f);
  const std::vector<float> bias = s.bias ? Random(h * s.n * s.m, 9, 2.0f) : std::vector<float>();
  std::vector<float> out(h * s.n * s.d);
  nonlocal::AttentionProblem a{};
  a.batch = 1;
  a.heads = h;
  a.kv_heads = hkv;
  a.queries = s.n;
  a.keys = s.m;
  a.key_width = a.value_width = s.d;
  a.query = q.data();
  a.key = k.data();
  a.value = v.data();
  a.out = out.data();
  a.query_strides = a.out_strides = nonlocal::Strides{0, s.n * s.d, s.d};
  a.key_strides = a.value_strides = nonlocal::Strides{0, s.m * s.d, s.d};
  a.out_layout = nonlocal::OutputLayout::kRows;
  a.affinity = nonlocal::Affinity::kEmbeddedGaussian;
  a.scale = 1.0f / std::sqrt(static_cast<float>(s.d));
  a.causal = s.causal;
  if (s.bias) {
    a.bias = bias.data();
    a.bias_strides = nonlocal::Strides{0, s.n * s.m, s.m};
  }
  const double seconds = TimeCalls([&] { nonlocal::RunAttention(a, threads); }, 1.5);
  // FLOPs: 4·N·M·d per head (both products), the visible half (N(N+1)/2 pairs) when causal.
  const double pairs = s.causal ? s.n * (s.n + 1) / 2.0 : double(s.n) * s.m;
  const double gflops = h * 4.0 * pairs * s.d / seconds / 1e9;
  std::printf("  %-22s %2d thr  %9.3f ms  %6.1f GFLOP/s  %4.0f%% of peak\n", s.id, threads,
              seconds * 1e3, gflops, 100.0 * gflops / peak);
  PrintPhases(threads, seconds * tps, h * 2.0 * pairs * s.d * Calls(), tps);
}

void ProfileBlock(const BlockShape& s, int threads, double peak, double tps) {
  const int64_t n = s.h * s.w, m = s.sub ? (s.h / 2) * (s.w / 2) : n;
  const int64_t cols = 3 * s.ci, panels = (cols + nonlocal::kPanelColumns - 1) / nonlocal::kPanelColumns;
  const std::vector<float> x = Random(s.c * n, 4, 1.0f);
  const std::vector<float> wx = Random(panels * nonlocal::kPanelColumns * s.c, 5, 0.03f);
  const std::vector<float> bx = Random(cols, 6, 0.1f), wz = Random(s.ci * s.c, 7, 0.03f),
                           bz = Random(s.c, 8, 0.1f);
  std::vector<float> out(s.c * n);
  nonlocal::BlockProblem b{};
  b.batch = 1;
  b.channels = s.c;
  b.inter = s.ci;
  b.t = 1;
  b.h = s.h;
  b.w = s.w;
  b.pool_t = 1;
  b.pool_h = b.pool_w = s.sub ? 2 : 1;
  b.affinity = nonlocal::Affinity::kEmbeddedGaussian;
  b.scale = 1.0f;
  b.x = x.data();
  b.out = out.data();
  b.wx = wx.data();
  b.bx = bx.data();
  b.out_wt = wz.data();
  b.out_b = bz.data();
  const double seconds = TimeCalls([&] { nonlocal::RunNonLocalBlock(b, threads); }, 2.0);
  const double flop = 2.0 * n * s.c * 3 * s.ci + 4.0 * n * m * s.ci + 2.0 * n * s.ci * s.c;
  const double gflops = flop / seconds / 1e9;
  std::printf("  %-22s %2d thr  %9.3f ms  %6.1f GFLOP/s  %4.0f%% of peak\n", s.id, threads,
              seconds * 1e3, gflops, 100.0 * gflops / peak);
  uint64_t total = 0;
  for (uint64_t t : nonlocal::g_stage_ticks) total += t;
  std::printf("    stages (share of wall time):");
  for (int i = 0; i < nonlocal::kStageCount; ++i)
    if (nonlocal::g_stage_ticks[i] > 0)
      std::printf(" %s %.1f%%", kStageNames[i], 100.0 * nonlocal::g_stage_ticks[i] / total);
  std::printf("\n");
  PrintPhases(threads, seconds * tps, 2.0 * n * m * s.ci * Calls(), tps);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> isas, only;
  std::vector<int> thread_counts;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--isa") isas.push_back(argv[i + 1]);
    else if (flag == "--threads") thread_counts.push_back(std::atoi(argv[i + 1]));
    else if (flag == "--only") only.push_back(argv[i + 1]);
    else if (flag == "--calls") g_fixed_calls = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: phase_profile [--isa NAME] [--threads N] [--only TEXT] [--calls N] ...\n");
      return 2;
    }
  }
  if (isas.empty()) {
    const char* names[3];
    const int count = nonlocal::SupportedIsas(names);
    for (int i = count - 1; i >= 1; --i) isas.push_back(names[i]);  // best first, no scalar
  }
  if (thread_counts.empty()) thread_counts = {2, 1};
  const auto wanted = [&](const char* id) {
    if (only.empty()) return true;
    for (const std::string& o : only)
      if (std::strstr(id, o.c_str()) != nullptr) return true;
    return false;
  };
  const double tps = TicksPerSecond();
  for (const std::string& isa : isas) {
    if (!nonlocal::SelectIsa(isa.c_str())) {
      std::printf("%s: not supported on this CPU, skipped\n", isa.c_str());
      continue;
    }
    for (const int threads : thread_counts) {
      const double peak =
          g_fixed_calls > 0 ? 0.0 : nonlocal::MeasureFmaPeak(*nonlocal::ActiveKernelTable(), threads, 0.5);
      std::printf("%s, %d thread(s): FMA peak %.1f GFLOP/s (FLOPs: attention 4·N·M·d; block "
                  "2·N·C·3Ci + 4·N·M·Ci + 2·N·Ci·C)\n",
                  isa.c_str(), threads, peak);
      for (const OperatorShape& s : kOperatorShapes)
        if (wanted(s.id)) ProfileOperator(s, threads, peak, tps);
      for (const BlockShape& s : kBlockShapes)
        if (wanted(s.id)) ProfileBlock(s, threads, peak, tps);
    }
  }
  return 0;
}
