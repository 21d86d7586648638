/**
 * The one skeleton of every async native call (attentionAsync, nonLocalBlockAsync): check the
 * signal, take private copies of the inputs at the call, wait for a scheduler slot, run the kernel
 * with a cancel flag into a private output, copy that into the caller's `out` when it settles, give
 * rejections the caller's stack, and return the copies to the buffer pool once the kernel is done.
 *
 * Why private copies: a caller who writes to, transfers or detaches an input's or `out`'s
 * ArrayBuffer while the call runs (structuredClone/postMessage with a transfer list) can neither
 * crash the process nor change the result; on abort or error `out` is left untouched.
 */
import { copyOf, releaseBuffers, takeBuffer } from './buffer-pool';
import { requireSignal, withCancellation } from './cancel';
import { schedule } from './scheduler';

export interface AsyncCall {
  /** `options.signal` as the caller passed it (checked here) */
  signal: unknown;
  /** the input arrays the kernel reads; copied now, at the call */
  inputs: Float32Array[];
  /** the output's element count */
  outSize: number;
  /** the caller's checked `options.out`, or null */
  out: Float32Array | null;
  /** starts the native call on the copies, writing `output`; `cancel` is the abort flag */
  start(inputs: Float32Array[], output: Float32Array, cancel: Int32Array | null): Promise<unknown>;
}

/** Runs `call` as described above; resolves to the output data (the caller's `out` when given). */
export async function runAsyncCall(call: AsyncCall): Promise<Float32Array> {
  const signal = requireSignal(call.signal);
  // A private output: pooled when it is only copied into the caller's `out` at the end.
  const own = call.out === null ? new Float32Array(call.outSize) : takeBuffer(call.outSize);
  const stack = new Error();
  Error.captureStackTrace(stack, runAsyncCall); // the stack starts at the public function
  // Copies are taken now, at the call, so later writes by the caller never reach the kernel.
  const inputs = call.inputs.map(copyOf);
  try {
    await schedule(signal, () => withCancellation(signal, (cancel) => call.start(inputs, own, cancel)));
    return deliver(own, call.out);
  } catch (error) {
    throw withCallerStack(error, stack);
  } finally {
    // The call has settled: the kernel is done with these (schedule settles only after it).
    releaseBuffers(...inputs, call.out === null ? null : own);
  }
}

/** Copies the private result into the caller's `out` (if any), refusing one detached meanwhile. */
function deliver(result: Float32Array, out: Float32Array | null): Float32Array {
  if (out === null) return result;
  if (out.length !== result.length) {
    throw new RangeError(`options.out was detached or resized while the call ran (now ${out.length} elements, needs ${result.length})`);
  }
  out.set(result);
  return out;
}

/** Native rejections carry no JS stack; give the caller theirs (as sharp does). */
function withCallerStack(error: unknown, stack: Error): unknown {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as Error;
    e.stack = `${e.name}: ${e.message}\n${(stack.stack ?? '').split('\n').slice(1).join('\n')}`;
  }
  return error;
}
