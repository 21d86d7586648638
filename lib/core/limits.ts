/**
 * The package's numeric limits, each written once: the thread-count range every `threads`
 * argument obeys, and the largest tensor (in elements) a Float32Array — and so every call, reader
 * and writer — can hold.
 */

/** Fewest threads a call may ask for. */
export const MIN_THREADS = 1;
/** Most threads a call may ask for (the native side sizes its per-thread scratch by it). */
export const MAX_THREADS = 1024;
/** How error messages state the range: 'an integer from 1 to 1024'. */
export const THREADS_RANGE = `an integer from ${MIN_THREADS} to ${MAX_THREADS}`;

/** True for an integer thread count in [MIN_THREADS, MAX_THREADS]. */
export function isThreadCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_THREADS && value <= MAX_THREADS;
}

/** Clamps a count (e.g. the machine's cores) into the thread range. */
export function clampThreads(n: number): number {
  return Math.max(MIN_THREADS, Math.min(MAX_THREADS, n));
}

/** The largest typed array this Node accepts (2^32 − 1 elements on 64-bit V8). */
export const MAX_ELEMENTS = 2 ** 32 - 1;
