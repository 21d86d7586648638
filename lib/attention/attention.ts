/**
 * The fused operator on the native kernel: y = (1/C) Σ_j f(q_i, k_j) v_j, without ever holding N×M.
 */
import { resolveAttention, type AttentionOptions, type AttentionPlan } from './args';
import type { Tensor } from '../core/tensor';
import { refuseSignal } from '../core/validation';
import { AFFINITY_CODES, attentionSizes, binding, type NativeAttentionDescriptor } from '../native/binding';
import { runAsyncCall } from '../runtime/async-call';

function descriptor(plan: AttentionPlan): NativeAttentionDescriptor {
  return {
    sizes: attentionSizes({
      layout: plan.layout,
      batch: plan.batch,
      heads: plan.heads,
      queries: plan.queries,
      keys: plan.keys,
      keyWidth: plan.keyWidth,
      valueWidth: plan.valueWidth,
      affinity: AFFINITY_CODES[plan.affinity],
      threads: plan.threads,
      scale: plan.scale,
      kvHeads: plan.kvHeads,
      causal: plan.causal,
      biasBatch: plan.biasBatch,
      biasHeads: plan.biasHeads,
    }),
    mask: plan.mask,
    bias: plan.bias,
    concatQuery: plan.concatQuery,
    concatKey: plan.concatKey,
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
  refuseSignal(options, 'attentionAsync');
  const out = plan.out ?? new Float32Array(plan.outSize);
  binding().attention(plan.query.data, plan.key.data, plan.value.data, out, descriptor(plan));
  return { data: out, shape: plan.outShape };
}

/**
 * attention() off the event loop: the call waits for a slot of the package's scheduler and runs on
 * the kernel's own threads, so the event loop stays free while it computes. Validation errors
 * reject the promise (nothing throws synchronously).
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
  const d = descriptor(plan);
  // The small arrays too are the call's own, like the tensors.
  d.mask = plan.mask === null ? null : plan.mask.slice();
  d.bias = plan.bias === null ? null : plan.bias.slice();
  d.concatQuery = plan.concatQuery === null ? null : plan.concatQuery.slice();
  d.concatKey = plan.concatKey === null ? null : plan.concatKey.slice();
  const data = await runAsyncCall({
    signal: options?.signal,
    inputs: [plan.query.data, plan.key.data, plan.value.data],
    outSize: plan.outSize,
    out: plan.out,
    start: ([q, k, v], out, cancel) => binding().attentionAsync(q, k, v, out, { ...d, cancel }),
  });
  return { data, shape: plan.outShape };
}
