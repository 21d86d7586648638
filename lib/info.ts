/** What runs here: the package version, the kernel in force and those the CPU could run, OpenMP, threads. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding, packageRoot } from './binding';
import { defaultThreads } from './threads';

export interface Info {
  /** package.json version */
  version: string;
  /** the kernel in force: 'avx512' | 'avx2' | 'scalar' (NONLOCAL_AFFINITY_ISA can lower it) */
  isa: string;
  /** every kernel this CPU and OS can run, best last */
  isas: string[];
  /** whether the addon was built with OpenMP (without it every call runs on one thread) */
  openmp: boolean;
  /** the default thread count of a call (1 without OpenMP) */
  threads: number;
}

let version: string | undefined;

/**
 * Reports which kernel runs and which could.
 * @example info() // { version: '0.1.0', isa: 'avx512', isas: ['scalar', 'avx2', 'avx512'], openmp: true, threads: 2 }
 */
export function info(): Info {
  version ??= (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  const native = binding().info();
  return { version, isa: native.isa, isas: native.isas, openmp: native.openmp, threads: native.openmp ? defaultThreads() : 1 };
}

/**
 * Measures this machine's FP32 FMA peak, in GFLOP/s, with the kernel in force: every thread runs
 * independent FMA chains at once for about `seconds` (the denominator of the benchmark's "% of peak").
 * @param options threads (default the package default), seconds (default 0.2, at most 10)
 * @example measureFmaPeak() // e.g. 416 on two AVX-512 cores that retire two 512-bit FMAs per cycle
 */
export function measureFmaPeak(options: { threads?: number; seconds?: number } = {}): number {
  const threads = options.threads === undefined ? (binding().info().openmp ? defaultThreads() : 1) : options.threads;
  const seconds = options.seconds === undefined ? 0.2 : options.seconds;
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw new RangeError(`options.threads must be an integer from 1 to 1024, got ${String(threads)}`);
  if (typeof seconds !== 'number' || !(seconds > 0 && seconds <= 10)) throw new RangeError(`options.seconds must be in (0, 10], got ${String(seconds)}`);
  return binding().measureFmaPeak(threads, seconds);
}
