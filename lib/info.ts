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
