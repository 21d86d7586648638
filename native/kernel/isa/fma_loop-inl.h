// The FMA-peak loop (the table's fma_loop, kernel_table.h; timed by peak.cc), over the ISA's
// `Simd` vector type.
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*, after
// it defines `struct Simd`, so every function here gets internal linkage in its own ISA file and no
// -mavx512f code can be shared with another unit (kernel_table.h). Includes no header.
//
// Simd must provide V, W, kFmaChains (≥ FMA latency × FMA ports, within the register file),
// set1 fmadd add store.

#ifndef NONLOCAL_KERNEL_ISA_FMA_LOOP_INL_H_
#define NONLOCAL_KERNEL_ISA_FMA_LOOP_INL_H_

// Independent FMA chains: acc_i = acc_i·b + c. Distinct seeds per chain stop the compiler from
// merging them; the final sum goes to `sink` so none is dead. Chains = Simd::kFmaChains.
double FmaLoop(int64_t iterations, float seed, float* sink) {
  constexpr int K = Simd::kFmaChains;
  typename Simd::V acc[K];
#pragma GCC unroll 32
  for (int i = 0; i < K; ++i) acc[i] = Simd::set1(seed + 1e-3f * static_cast<float>(i));
  const typename Simd::V b = Simd::set1(0.999999f);
  const typename Simd::V c = Simd::set1(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
#pragma GCC unroll 32
    for (int i = 0; i < K; ++i) acc[i] = Simd::fmadd(acc[i], b, c);
  }
  typename Simd::V total = acc[0];
#pragma GCC unroll 32
  for (int i = 1; i < K; ++i) total = Simd::add(total, acc[i]);
  alignas(64) float lanes[Simd::W];
  Simd::store(lanes, total);
  float sum = 0.0f;
  for (int l = 0; l < Simd::W; ++l) sum += lanes[l];
  *sink = sum;
  return 2.0 * static_cast<double>(iterations) * K * Simd::W;
}

#endif  // NONLOCAL_KERNEL_ISA_FMA_LOOP_INL_H_
