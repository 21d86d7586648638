// The FMA peak the benchmark reports percentages against: every thread runs the table's FMA
// chains at the same time (all cores busy, as in a real call).
//
// A peak is a best case, so it is measured as one: the first FMAs of a process run on cores that
// are still clocking up (and, on AVX-512 parts, changing frequency licence) and on an OpenMP team
// that is not started yet, which reads low. So a fifth of the budget warms every thread
// up, and the rest is split into kTrials equal trials whose best is returned: a trial that a
// neighbour on a shared host interrupted only lowers its own figure.
#include "peak.h"

#include <chrono>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTrials = 5;
constexpr double kWarmUpShare = 0.2;
constexpr int64_t kWarmUpRounds = 1 << 14;  // one short burst between clock checks (~50 µs)

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs `body(thread_index)` on `threads` threads at once (one OpenMP team), or once without OpenMP.
template <typename Body>
void OnEveryThread(int threads, Body body) {
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  body(omp_get_thread_num());
#else
  (void)threads;
  body(0);
#endif
}

// Every thread runs FMA bursts until `seconds` have passed.
void WarmUp(const KernelTable& table, int threads, double seconds) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  OnEveryThread(threads, [&](int t) {
    float sink = 0.0f;
    while (Clock::now() < deadline) table.fma_loop(kWarmUpRounds, 1.0f + 0.01f * static_cast<float>(t), &sink);
  });
}

// The round count that one (warm) thread needs for about `seconds`.
int64_t CalibrateRounds(const KernelTable& table, double seconds) {
  float sink = 0.0f;
  int64_t rounds = kWarmUpRounds;
  for (;;) {
    const Clock::time_point start = Clock::now();
    table.fma_loop(rounds, 1.0f, &sink);
    const double took = SecondsSince(start);
    if (took >= 0.002 || rounds > (int64_t{1} << 40)) {
      const double scaled = static_cast<double>(rounds) * (seconds / (took > 0 ? took : 1e-9));
      return scaled < 1.0 ? 1 : static_cast<int64_t>(scaled);
    }
    rounds *= 4;
  }
}

// GFLOP/s of one trial: every thread runs `rounds`, timed from the team's start to its last end.
double Trial(const KernelTable& table, int threads, int64_t rounds) {
  double flops_per_thread = 0.0;
  const Clock::time_point start = Clock::now();
  OnEveryThread(threads, [&](int t) {
    float local = 0.0f;
    const double flops = table.fma_loop(rounds, 1.0f + 0.01f * static_cast<float>(t), &local);
    if (t == 0) flops_per_thread = flops;
  });
  const double took = SecondsSince(start);
#ifdef _OPENMP
  const double team = static_cast<double>(threads);
#else
  const double team = 1.0;
#endif
  return took > 0 ? flops_per_thread * team / took / 1e9 : 0.0;
}

}  // namespace

double MeasureFmaPeak(const KernelTable& table, int threads, double seconds) noexcept {
  if (threads < 1) threads = 1;
  WarmUp(table, threads, seconds * kWarmUpShare);
  const int64_t rounds = CalibrateRounds(table, seconds * (1.0 - kWarmUpShare) / kTrials);
  double best = 0.0;
  for (int i = 0; i < kTrials; ++i) {
    const double gflops = Trial(table, threads, rounds);
    if (gflops > best) best = gflops;
  }
  return best;
}

}  // namespace nonlocal
