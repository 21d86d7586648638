/**
 * The package-wide default thread count for native calls: the machine's cores unless changed.
 * Each call can still pass `threads`.
 */
import * as os from 'node:os';

let current = Math.max(1, Math.min(1024, os.availableParallelism()));

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
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new RangeError(`threads must be an integer from 1 to 1024, got ${String(threads)}`);
  }
  current = threads;
}
