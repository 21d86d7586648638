/**
 * The fused operator on the native kernel: y = (1/C) Σ_j f(q_i, k_j) v_j, without ever holding N×M.
 */
import { resolveAttention, type AttentionOptions, type AttentionPlan } from './attention-args';
import { AFFINITY_CODES, binding, type NativeAttentionDescriptor } from './binding';
import { requireSignal, withCancellation } from './cancel';
import { copyOf, releaseBuffers, takeBuffer } from './buffer-pool';
import { schedule } from './scheduler';
import type { Tensor } from './tensor';

function descriptor(plan: AttentionPlan): NativeAttentionDescriptor {
  return {
    layout: plan.layout,
    batch: plan.batch,
    heads: plan.heads,
    queries: plan.queries,
    keys: plan.keys,
    keyWidth: plan.keyWidth,
    valueWidth: plan.valueWidth,
    affinity: AFFINITY_CODES[plan.affinity],
    scale: plan.scale,
    mask: plan.mask,
    concatQuery: plan.concatQuery,
    concatKey: plan.concatKey,
    threads: plan.threads,
  };
}

/**
 * The non-local operation / attention, on the calling thread.
 *
 * @param query `[N, Dk]`, `[B, N, Dk]` or `[B, H, N, dk]`
 * @param key   `[M, Dk]`, `[B, M, Dk]` or `[B, H, M, dk]`
 * @param value `[M, Dv]`, `[B, M, Dv]` or `[B, H, M, dv]`
 * @param options affinity (default 'embedded_gaussian'), scale (1), heads (1), keyPaddingMask,
 *   concatWeights, threads (package default), out
 * @returns the output `[.., N, Dv]` (its data is `options.out` when given)
 * @throws {TypeError} an argument of the wrong type, naming it
 * @throws {RangeError} inconsistent shapes, bad sizes or option values, naming the argument and the expected shape
 * @example
 * const y = attention({ data: q, shape: [1024, 64] }, { data: k, shape: [1024, 64] },
 *                     { data: v, shape: [1024, 64] }, { scale: 1 / 8 });
 */
export function attention(query: Tensor, key: Tensor, value: Tensor, options?: AttentionOptions): Tensor {
  const plan = resolveAttention(query, key, value, options);
  if (options?.signal !== undefined) throw new TypeError('options.signal applies to attentionAsync only (a synchronous call cannot be interrupted)');
  const out = plan.out ?? new Float32Array(plan.outSize);
  binding().attention(plan.query.data, plan.key.data, plan.value.data, out, descriptor(plan));
  return { data: out, shape: plan.outShape };
}

/**
 * attention() on the libuv thread pool: the event loop stays free while the kernel runs.
 * Validation errors reject the promise (nothing throws synchronously).
 *
 * The kernel works on private copies of the inputs and writes into a private output, copied into
 * `out` when the promise settles: a caller who writes to, transfers or detaches an input's
 * ArrayBuffer while the call runs (structuredClone/postMessage with a transfer list) can neither
 * crash the process nor change the result. The copies cost one pass over the inputs (about 2% at
 * [1, 4096, 64]) and their memory for the length of the call.
 *
 * `options.signal` (an AbortSignal) cancels the call: it rejects with an AbortError (code
 * ABORT_ERR) within one key block of one query block, or at once if the signal is already aborted; `out` is
 * then left untouched.
 *
 * @returns a promise of the output tensor
 * @example const y = await attentionAsync(q, k, v, { affinity: 'dot_product', signal: AbortSignal.timeout(50) });
 */
export async function attentionAsync(query: Tensor, key: Tensor, value: Tensor, options?: AttentionOptions): Promise<Tensor> {
  const plan = resolveAttention(query, key, value, options);
  const signal = requireSignal(options?.signal);
  // A private output: pooled when it is only copied into the caller's `out` at the end.
  const own = plan.out === null ? new Float32Array(plan.outSize) : takeBuffer(plan.outSize);
  const d = descriptor(plan);
  d.mask = plan.mask === null ? null : plan.mask.slice();
  d.concatQuery = plan.concatQuery === null ? null : plan.concatQuery.slice();
  d.concatKey = plan.concatKey === null ? null : plan.concatKey.slice();
  const stack = new Error();
  // Copies are taken now, at the call, so later writes by the caller never reach the kernel.
  const [q, k, v] = [copyOf(plan.query.data), copyOf(plan.key.data), copyOf(plan.value.data)];
  try {
    await schedule(signal, () => withCancellation(signal, (cancel) => binding().attentionAsync(q, k, v, own, { ...d, cancel })));
    return { data: deliver(own, plan.out), shape: plan.outShape };
  } catch (error) {
    throw withCallerStack(error, stack);
  } finally {
    // The call has settled: the kernel is done with these (schedule settles only after it).
    releaseBuffers(q, k, v, plan.out === null ? null : own);
  }
}

/** Copies the private result into the caller's `out` (if any), refusing one detached meanwhile. */
export function deliver(result: Float32Array, out: Float32Array | null): Float32Array {
  if (out === null) return result;
  if (out.length !== result.length) {
    throw new RangeError(`options.out was detached or resized while the call ran (now ${out.length} elements, needs ${result.length})`);
  }
  out.set(result);
  return out;
}

/** Native rejections carry no JS stack; give the caller theirs (as sharp does). */
export function withCallerStack(error: unknown, stack: Error): unknown {
  if (typeof error === 'object' && error !== null && 'message' in error) {
    const e = error as Error;
    e.stack = `${e.name}: ${e.message}\n${(stack.stack ?? '').split('\n').slice(1).join('\n')}`;
  }
  return error;
}
