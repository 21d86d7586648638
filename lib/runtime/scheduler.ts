/**
 * The package-level limit on heavy calls running at once. Every async call (attentionAsync,
 * nonLocalBlockAsync) takes a slot; the rest wait in FIFO order. Each call already uses every core
 * through its OpenMP team, so running more at once only makes them share the cores (and spin in
 * each other's way): a burst of requests then finishes no sooner, and every one of them finishes
 * late. With a limit, the first request is served at full speed and the queue drains in order.
 *
 * The default limit is max(1, ⌊cores / defaultThreads()⌋) — 1 with the default of one thread per
 * core. Raise it together with lower per-call `threads` (e.g. 2 calls × 1 thread on 2 cores).
 * The kernel computes on the addon's own kernel threads, but each running call also holds one
 * libuv pool thread that waits for it (an N-API async worker), so libuv's pool
 * (UV_THREADPOOL_SIZE, default 4) must have room for the limit plus the process's own file and
 * DNS work.
 */
import * as os from 'node:os';

import { THREADS_RANGE, isThreadCount } from '../core/limits';
import { defaultThreads } from '../core/threads';
import { abortError } from './cancel';

let limit: number | undefined;
let running = 0;
const waiting: { start: () => void; cancel: () => void }[] = [];

function currentLimit(): number {
  return limit ?? Math.max(1, Math.floor(os.availableParallelism() / defaultThreads()));
}

/**
 * Sets how many async calls may run at once (the others queue); `undefined` restores the default.
 * @param n integer from 1 to 1024
 * @example setMaxConcurrentCalls(2); setDefaultThreads(1); // two 1-thread calls at a time on 2 cores
 */
export function setMaxConcurrentCalls(n: number | undefined): void {
  // The same range as a thread count: more calls at once than threads could never all run.
  if (n !== undefined && !isThreadCount(n)) {
    throw new RangeError(`maxConcurrentCalls must be ${THREADS_RANGE}, got ${String(n)}`);
  }
  limit = n;
  pump();
}

/** How many async calls run and wait right now, and the limit in force. */
export function schedulerStats(): { running: number; queued: number; limit: number } {
  return { running, queued: waiting.length, limit: currentLimit() };
}

function pump(): void {
  while (running < currentLimit() && waiting.length > 0) waiting.shift()!.start();
}

/**
 * Runs `task` when a slot is free. An abort while waiting removes the call from the queue and
 * rejects it at once with an AbortError.
 */
export function schedule<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const entry = {
      start: () => {
        signal?.removeEventListener('abort', entry.cancel);
        running++;
        task()
          .then(resolve, reject)
          .finally(() => {
            running--;
            pump();
          });
      },
      cancel: () => {
        const i = waiting.indexOf(entry);
        if (i >= 0) {
          waiting.splice(i, 1);
          reject(abortError(signal!));
        }
      },
    };
    signal?.addEventListener('abort', entry.cancel, { once: true });
    waiting.push(entry);
    pump();
  });
}
