/*
 * A standalone FP32 FMA peak, to check the package's measureFmaPeak() against (npm run perf-report,
 * section "fma peak"). It shares no code with the package.
 *
 *   gcc -O2 -fopenmp -mavx2 -mfma [-mavx512f] -o fma-loop tools/fma-loop.c
 *   ./fma-loop [threads] [avx2|avx512]
 *
 * One OpenMP team of `threads` threads (default: every core). Each thread runs independent FMA
 * chains acc = acc * b + c at the same time: 12 chains of 256-bit _mm256_fmadd_ps (avx2, the
 * default), or 16 chains of 512-bit _mm512_fmadd_ps (avx512; only in a build with -mavx512f).
 * One warm-up run, then the best of 5 runs of about 0.1 s each. Prints GFLOP/s on one line.
 * Exit status 2 on a bad argument or an ISA this build or CPU cannot run.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 5
#define RUN_SECONDS 0.1

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Keeps every chain's result observable, so no chain is dead code. */
static volatile float sink;

/* 12 chains of 8 floats: 2 * 12 * 8 FLOP per iteration. */
static double fma_avx2(long iterations, float seed) {
  __m256 a0 = _mm256_set1_ps(seed + 0.000f), a1 = _mm256_set1_ps(seed + 0.001f);
  __m256 a2 = _mm256_set1_ps(seed + 0.002f), a3 = _mm256_set1_ps(seed + 0.003f);
  __m256 a4 = _mm256_set1_ps(seed + 0.004f), a5 = _mm256_set1_ps(seed + 0.005f);
  __m256 a6 = _mm256_set1_ps(seed + 0.006f), a7 = _mm256_set1_ps(seed + 0.007f);
  __m256 a8 = _mm256_set1_ps(seed + 0.008f), a9 = _mm256_set1_ps(seed + 0.009f);
  __m256 a10 = _mm256_set1_ps(seed + 0.010f), a11 = _mm256_set1_ps(seed + 0.011f);
  const __m256 b = _mm256_set1_ps(0.999999f);
  const __m256 c = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
    a0 = _mm256_fmadd_ps(a0, b, c);
    a1 = _mm256_fmadd_ps(a1, b, c);
    a2 = _mm256_fmadd_ps(a2, b, c);
    a3 = _mm256_fmadd_ps(a3, b, c);
    a4 = _mm256_fmadd_ps(a4, b, c);
    a5 = _mm256_fmadd_ps(a5, b, c);
    a6 = _mm256_fmadd_ps(a6, b, c);
    a7 = _mm256_fmadd_ps(a7, b, c);
    a8 = _mm256_fmadd_ps(a8, b, c);
    a9 = _mm256_fmadd_ps(a9, b, c);
    a10 = _mm256_fmadd_ps(a10, b, c);
    a11 = _mm256_fmadd_ps(a11, b, c);
  }
  __m256 t = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  t = _mm256_add_ps(t, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float lanes[8];
  _mm256_storeu_ps(lanes, t);
  float s = 0.0f;
  for (int l = 0; l < 8; ++l) s += lanes[l];
  sink = s;
  return 2.0 * 12.0 * 8.0 * (double)iterations;
}

#ifdef __AVX512F__
/* 16 chains of 16 floats: 2 * 16 * 16 FLOP per iteration. */
static double fma_avx512(long iterations, float seed) {
  __m512 a0 = _mm512_set1_ps(seed + 0.000f), a1 = _mm512_set1_ps(seed + 0.001f);
  __m512 a2 = _mm512_set1_ps(seed + 0.002f), a3 = _mm512_set1_ps(seed + 0.003f);
  __m512 a4 = _mm512_set1_ps(seed + 0.004f), a5 = _mm512_set1_ps(seed + 0.005f);
  __m512 a6 = _mm512_set1_ps(seed + 0.006f), a7 = _mm512_set1_ps(seed + 0.007f);
  __m512 a8 = _mm512_set1_ps(seed + 0.008f), a9 = _mm512_set1_ps(seed + 0.009f);
  __m512 a10 = _mm512_set1_ps(seed + 0.010f), a11 = _mm512_set1_ps(seed + 0.011f);
  __m512 a12 = _mm512_set1_ps(seed + 0.012f), a13 = _mm512_set1_ps(seed + 0.013f);
  __m512 a14 = _mm512_set1_ps(seed + 0.014f), a15 = _mm512_set1_ps(seed + 0.015f);
  const __m512 b = _mm512_set1_ps(0.999999f);
  const __m512 c = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
    a0 = _mm512_fmadd_ps(a0, b, c);
    a1 = _mm512_fmadd_ps(a1, b, c);
    a2 = _mm512_fmadd_ps(a2, b, c);
    a3 = _mm512_fmadd_ps(a3, b, c);
    a4 = _mm512_fmadd_ps(a4, b, c);
    a5 = _mm512_fmadd_ps(a5, b, c);
    a6 = _mm512_fmadd_ps(a6, b, c);
    a7 = _mm512_fmadd_ps(a7, b, c);
    a8 = _mm512_fmadd_ps(a8, b, c);
    a9 = _mm512_fmadd_ps(a9, b, c);
    a10 = _mm512_fmadd_ps(a10, b, c);
    a11 = _mm512_fmadd_ps(a11, b, c);
    a12 = _mm512_fmadd_ps(a12, b, c);
    a13 = _mm512_fmadd_ps(a13, b, c);
    a14 = _mm512_fmadd_ps(a14, b, c);
    a15 = _mm512_fmadd_ps(a15, b, c);
  }
  __m512 t = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  t = _mm512_add_ps(t, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                     _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
  sink = _mm512_reduce_add_ps(t);
  return 2.0 * 16.0 * 16.0 * (double)iterations;
}
#endif

typedef double (*fma_fn)(long iterations, float seed);

/* One run: every thread of the team runs `iterations` at once; returns GFLOP/s over the wall time. */
static double run_team(fma_fn fn, int threads, long iterations) {
  double flops = 0.0;
  const double start = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
  flops += fn(iterations, 1.0f + 0.01f * (float)omp_get_thread_num());
  const double took = now_seconds() - start;
  return took > 0.0 ? flops / took / 1e9 : 0.0;
}

int main(int argc, char** argv) {
  int threads = omp_get_num_procs();
  if (argc > 1) {
    char* end = NULL;
    long t = strtol(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || t < 1 || t > 1024) {
      fprintf(stderr, "threads must be an integer from 1 to 1024, got %s\n", argv[1]);
      return 2;
    }
    threads = (int)t;
  }
  fma_fn fn = fma_avx2;
  if (argc > 2 && strcmp(argv[2], "avx512") == 0) {
#ifdef __AVX512F__
    if (!__builtin_cpu_supports("avx512f")) {
      fprintf(stderr, "this CPU has no AVX-512F\n");
      return 2;
    }
    fn = fma_avx512;
#else
    fprintf(stderr, "built without -mavx512f: no avx512 loop\n");
    return 2;
#endif
  } else if (argc > 2 && strcmp(argv[2], "avx2") != 0) {
    fprintf(stderr, "the ISA must be avx2 or avx512, got %s\n", argv[2]);
    return 2;
  }
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    fprintf(stderr, "this CPU has no AVX2/FMA\n");
    return 2;
  }

  /* Calibrate on one thread: grow the iteration count until a run takes at least 5 ms, then scale
     it to RUN_SECONDS. */
  long iterations = 1L << 16;
  for (;;) {
    const double start = now_seconds();
    fn(iterations, 1.0f);
    const double took = now_seconds() - start;
    if (took >= 0.005 || iterations > (1L << 40)) {
      iterations = (long)((double)iterations * (RUN_SECONDS / (took > 0.0 ? took : 1e-9)));
      break;
    }
    iterations *= 4;
  }
  if (iterations < 1) iterations = 1;

  run_team(fn, threads, iterations); /* warm-up: starts the team, wakes the cores */
  double best = 0.0;
  for (int r = 0; r < RUNS; ++r) {
    const double g = run_team(fn, threads, iterations);
    if (g > best) best = g;
  }
  printf("%.1f\n", best);
  return 0;
}
