// The FMA peak the benchmark reports percentages against: every thread runs the table's FMA
// chains at the same time (all cores busy, as in a real call), for a calibrated number of rounds.
#include "peak.h"

#include <chrono>
#include <cstdint>

#include "dispatch.h"
#include "kernel_table.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {

double MeasureFmaPeak(int threads, double seconds) noexcept {
  const KernelTable& table = *ActiveKernelTable();
  using Clock = std::chrono::steady_clock;
  float sink = 0.0f;
  // Calibrate on one thread: grow the round count until a run takes ≥ 5 ms.
  int64_t rounds = 1 << 16;
  for (;;) {
    const auto start = Clock::now();
    table.fma_loop(rounds, 1.0f, &sink);
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    if (took >= 0.005 || rounds > (int64_t{1} << 40)) {
      rounds = static_cast<int64_t>(static_cast<double>(rounds) * (seconds / (took > 0 ? took : 1e-9)));
      break;
    }
    rounds *= 4;
  }
  if (rounds < 1) rounds = 1;
  if (threads < 1) threads = 1;
  double flops = 0.0;
  const auto start = Clock::now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : flops)
  {
    float local = 0.0f;
    flops += table.fma_loop(rounds, 1.0f + 0.01f * static_cast<float>(omp_get_thread_num()), &local);
    if (local == 12345.0f) sink += local;  // keeps `local` observable
  }
#else
  flops += table.fma_loop(rounds, 1.0f, &sink);
#endif
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  return took > 0 ? flops / took / 1e9 : 0.0;
}

}  // namespace nonlocal
