/** What runs here: the package version, the kernel in force and those the CPU could run, OpenMP, threads, caches. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding, packageRoot, type CacheSizes } from './binding';
import { THREADS_RANGE, isThreadCount } from '../core/limits';
import { defaultThreads } from '../core/threads';

export interface Info {
  /** package.json version */
  version: string;
  /** the kernel in force: 'avx512' | 'avx2' | 'scalar' on x64, 'neon' | 'scalar' on arm64 (NONLOCAL_AFFINITY_ISA can lower it) */
  isa: string;
  /** every kernel this CPU and OS can run, best last */
  isas: string[];
  /** whether the addon was built with OpenMP (without it every call runs on one thread) */
  openmp: boolean;
  /** the default thread count of a call (1 without OpenMP) */
  threads: number;
  /** the cache sizes the kernel's blocking follows, read from this machine at load */
  caches: CacheSizes;
}

let version: string | undefined;

/**
 * Reports which kernel runs and which could.
 * @example info() // { version: '0.1.0', isa: 'avx512', isas: ['scalar', 'avx2', 'avx512'], openmp: true, threads: 2,
 *                  //   caches: { l1d: 49152, l2: 2097152, l3: 314572800, source: 'sysfs' } }
 */
export function info(): Info {
  version ??= (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const native = binding().info();
  return { version, isa: native.isa, isas: native.isas, openmp: native.openmp, threads: native.openmp ? defaultThreads() : 1, caches: { ...native.caches } };
}

/** Options of {@link measureFmaPeak}. */
export interface FmaPeakOptions {
  /** threads running FMA chains at once (default: the package default; 1 without OpenMP) */
  threads?: number;
  /** the whole measurement's budget in seconds (default 0.5, at most 10) */
  seconds?: number;
  /** whose vectors to use: a name from `info().isas` (default: the kernel in force) */
  isa?: string;
}

/**
 * Measures this machine's FP32 FMA peak, in GFLOP/s: every thread runs independent FMA chains of
 * the chosen kernel's vectors at once (the denominator of the benchmark's "% of peak"). A fifth of
 * the budget warms the cores and the thread team up; the result is the best of five trials, so it
 * reads what the hardware can do rather than how cold it was.
 * @example measureFmaPeak() // e.g. 416 on two AVX-512 cores that retire two 512-bit FMAs per cycle
 * @example measureFmaPeak({ isa: 'avx2' }) // the AVX2 kernel's peak on the same machine
 */
export function measureFmaPeak(options: FmaPeakOptions = {}): number {
  const native = binding().info();
  const threads = options.threads === undefined ? (native.openmp ? defaultThreads() : 1) : options.threads;
  const seconds = options.seconds === undefined ? 0.5 : options.seconds;
  const isa = options.isa === undefined ? native.isa : options.isa;
  if (!isThreadCount(threads)) throw new RangeError(`options.threads must be ${THREADS_RANGE}, got ${String(threads)}`);
  if (typeof seconds !== 'number' || !(seconds > 0 && seconds <= 10)) throw new RangeError(`options.seconds must be in (0, 10], got ${String(seconds)}`);
  if (typeof isa !== 'string') throw new TypeError(`options.isa must be a string, one of ${native.isas.map((n) => `'${n}'`).join(', ')}; got ${typeof isa}`);
  if (!native.isas.includes(isa)) throw new RangeError(`options.isa must be one of ${native.isas.map((n) => `'${n}'`).join(', ')} (the kernels this CPU runs), got '${isa}'`);
  return binding().measureFmaPeak(threads, seconds, isa);
}
