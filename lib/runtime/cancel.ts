/**
 * Cancellation of async calls with an AbortSignal. The native kernel reads a one-element
 * Int32Array before each task (a query block against every key) and before each key block of a
 * task; aborting writes 1 into it, so the call stops within one query block × key block and
 * rejects with an AbortError. The kernel then never writes the
 * caller's `out` (async calls compute into a private output).
 */
import { typeError } from '../core/validation';

/** An Error named AbortError with code ABORT_ERR and the signal's reason as cause, like Node's own. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  (error as Error & { code: string }).code = 'ABORT_ERR';
  return error;
}

/** Checks `signal` (undefined, or anything with AbortSignal's shape) and names it in errors. */
export function requireSignal(signal: unknown, name = 'options.signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  const s = signal as AbortSignal;
  if (typeof s !== 'object' || s === null || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') {
    throw typeError(name, 'an AbortSignal', signal);
  }
  return s;
}

/**
 * Runs `start(flag)` with a cancel flag wired to `signal`: rejects at once if the signal is
 * already aborted (before any work), raises the flag on abort, and turns the kernel's
 * cancellation into an AbortError.
 */
export async function withCancellation<T>(signal: AbortSignal | undefined, start: (flag: Int32Array | null) => Promise<T>): Promise<T> {
  if (signal === undefined) return start(null);
  if (signal.aborted) throw abortError(signal);
  const flag = new Int32Array(1);
  const onAbort = (): void => {
    Atomics.store(flag, 0, 1);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await start(flag);
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw abortError(signal);
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
