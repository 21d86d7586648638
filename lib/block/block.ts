/**
 * The whole non-local block on the native kernel: z = x + W_z · attention(θ(x), φ(x), g(x)).
 */
import type { Tensor } from '../core/tensor';
import { refuseSignal } from '../core/validation';
import { AFFINITY_CODES, binding, type NativeBlockDescriptor } from '../native/binding';
import { runAsyncCall } from '../runtime/async-call';
import { resolveBlock, type BlockPlan, type NonLocalBlockOptions } from './block-args';
import { packWeights, type NonLocalWeights } from './weights';

function descriptor(plan: BlockPlan): NativeBlockDescriptor {
  const packed = packWeights(plan.weights, plan.mode, plan.poolBeforeConv);
  return {
    batch: plan.batch,
    channels: plan.channels,
    inter: plan.inter,
    t: plan.t,
    h: plan.h,
    w: plan.w,
    poolT: plan.poolT,
    poolH: plan.poolH,
    poolW: plan.poolW,
    poolBeforeConv: plan.poolBeforeConv,
    affinity: AFFINITY_CODES[plan.mode],
    scale: plan.scale,
    ...packed,
    threads: plan.threads,
  };
}

/**
 * The non-local block of a PyTorch checkpoint (mmcv NonLocal1d/2d/3d, AlexHex7, Caffe2) on
 * PyTorch-layout input, on the calling thread.
 *
 * @param x `[B, C, L]`, `[B, C, H, W]` or `[B, C, T, H, W]`
 * @param weights from loadNonLocalWeights (or built by hand, see NonLocalWeights)
 * @param options mode, useScale, subSample (defaults: the checkpoint's), threads, out
 * @returns z, the same shape as x (x itself is never written; its data is `options.out` when given)
 * @throws {TypeError} an argument of the wrong type, naming it
 * @throws {RangeError} shapes that do not fit the weights, or options the weights cannot serve
 * @example
 * const weights = await loadNonLocalWeights('model.safetensors', { prefix: 'neck.refine.' });
 * const z = nonLocalBlock({ data, shape: [1, 256, 50, 68] }, weights);
 */
export function nonLocalBlock(x: Tensor, weights: NonLocalWeights, options?: NonLocalBlockOptions): Tensor {
  const plan = resolveBlock(x, weights, options);
  refuseSignal(options, 'nonLocalBlockAsync');
  const out = plan.out ?? new Float32Array(plan.x.data.length);
  binding().nonLocalBlock(plan.x.data, out, descriptor(plan));
  return { data: out, shape: plan.x.shape.slice() };
}

/**
 * nonLocalBlock() off the event loop (the package's scheduler, the kernel's own threads).
 * Validation errors reject. Like attentionAsync, the kernel works on a private copy of x (and the
 * packed weights are the package's own arrays) and writes a private output, copied into
 * `options.out` when the promise settles, so nothing the caller does to x or out meanwhile can
 * crash the process; on abort or error `out` is left untouched.
 * @example const z = await nonLocalBlockAsync(x, weights, { threads: 1 });
 */
export async function nonLocalBlockAsync(x: Tensor, weights: NonLocalWeights, options?: NonLocalBlockOptions): Promise<Tensor> {
  const plan = resolveBlock(x, weights, options);
  const d = descriptor(plan); // packs (or finds cached) the weights now, at the call
  const data = await runAsyncCall({
    signal: options?.signal,
    inputs: [plan.x.data],
    outSize: plan.x.data.length,
    out: plan.out,
    start: ([input], out, cancel) => binding().nonLocalBlockAsync(input, out, { ...d, cancel }),
  });
  return { data, shape: plan.x.shape.slice() };
}
