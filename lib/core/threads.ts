/**
 * The package-wide default thread count for native calls: the machine's cores unless changed.
 * Each call can still pass `threads`.
 */
import * as os from 'node:os';

import { THREADS_RANGE, clampThreads, isThreadCount } from './limits';
import { rangeError, typeError } from './validation';

let current = clampThreads(os.availableParallelism());

/** The thread count used when a call passes none. */
export function defaultThreads(): number {
  return current;
}

/**
 * Sets the thread count used when a call passes none.
 * @param threads integer from 1 to 1024
 * @throws {RangeError} when out of range
 * @example setDefaultThreads(1); // one core per call, e.g. when running many calls concurrently
 */
export function setDefaultThreads(threads: number): void {
  if (!isThreadCount(threads)) throw new RangeError(`threads must be ${THREADS_RANGE}, got ${String(threads)}`);
  current = threads;
}

/** A per-call thread count (`options.threads`): an integer in [1, 1024], default the package-wide default. */
export function resolveThreads(threads: unknown): number {
  if (threads === undefined) return defaultThreads();
  if (typeof threads !== 'number') throw typeError('options.threads', THREADS_RANGE, threads);
  if (!isThreadCount(threads)) throw rangeError(`options.threads must be ${THREADS_RANGE}, got ${threads}`);
  return threads;
}
