/**
 * Validation and resolution of nonLocalBlock(x, weights, options), shared by the native block and
 * reference.nonLocalBlock: the input layout, the pooling kernel, and the options resolved against
 * the checkpoint's defaults.
 */
import { formatShape, type Affinity, type Tensor } from '../core/tensor';
import { resolveThreads } from '../core/threads';
import type { NativeBlockDescriptor } from '../native/binding';
import { rangeError, requireAffinity, requireOptions, requireOut, requireTensor, typeError } from '../core/validation';
import { validateWeights, type NonLocalWeights } from './weights';

export interface NonLocalBlockOptions {
  /** The affinity; default the checkpoint's (weights.defaults.mode). */
  mode?: Affinity;
  /** Divide θ·φ by √C_inter in 'embedded_gaussian' (mmcv's use_scale, Caffe2's Ci^-0.5); default the checkpoint's. */
  useScale?: boolean;
  /** Max-pool φ and g (kernel 2 / (2,2) / (1,2,2)); default the checkpoint's. */
  subSample?: boolean;
  /** Threads for this call; default the package-wide default. */
  threads?: number;
  /**
   * Preallocated output data, exactly as long as x.data; must not share memory with x. Reusing one
   * buffer across calls also saves the page faults of writing a fresh allocation.
   */
  out?: Float32Array;
  /** nonLocalBlockAsync only: abort the call (it rejects with an AbortError). */
  signal?: AbortSignal;
}

const OPTION_NAMES = ['mode', 'useScale', 'subSample', 'threads', 'out', 'signal'] as const;

/** The native block descriptor's sizes (one definition of them, in native/binding.ts). */
type BlockSizes = Pick<NativeBlockDescriptor, 'batch' | 'channels' | 'inter' | 't' | 'h' | 'w' | 'poolT' | 'poolH' | 'poolW' | 'poolBeforeConv' | 'threads'>;

/** A fully checked block call: the sizes, the affinity by name, the scale, the tensors and the output. */
export interface BlockPlan extends BlockSizes {
  x: Tensor;
  weights: NonLocalWeights;
  mode: Affinity;
  /** multiplies θ·φ: 1/√C_inter for scaled embedded Gaussian, else 1 */
  scale: number;
  /** options.out, checked */
  out: Float32Array | null;
}

const LAYOUTS: Record<number, string> = { 3: '[B, C, L] (NonLocal1d)', 4: '[B, C, H, W] (NonLocal2d)', 5: '[B, C, T, H, W] (NonLocal3d)' };

export function resolveBlock(xIn: unknown, weightsIn: unknown, optionsIn: unknown): BlockPlan {
  const x = requireTensor(xIn, 'x');
  const weights = validateWeights(weightsIn);
  const options = requireOptions<NonLocalBlockOptions>(optionsIn, OPTION_NAMES);

  const rank = x.shape.length;
  if (!(rank in LAYOUTS)) {
    throw rangeError(`x must be ${Object.values(LAYOUTS).join(', ')}; got shape ${formatShape(x.shape)}`);
  }
  if (weights.dims !== null && weights.dims !== rank - 2) {
    throw rangeError(`the weights are for NonLocal${weights.dims}d, whose input is ${LAYOUTS[weights.dims + 2]}, but x has shape ${formatShape(x.shape)}`);
  }
  const [batch, channels] = x.shape;
  if (channels !== weights.inChannels) {
    throw rangeError(`x.shape[1] must equal the weights' in-channels C = ${weights.inChannels}; got x ${formatShape(x.shape)}`);
  }
  const spatial = x.shape.slice(2);
  const [t, h, w] = rank === 3 ? [1, 1, spatial[0]] : rank === 4 ? [1, spatial[0], spatial[1]] : spatial;

  const mode = requireAffinity(options.mode ?? weights.defaults.mode, 'options.mode');
  if (mode !== 'gaussian' && (weights.theta === null || weights.phi === null)) {
    throw rangeError(`options.mode '${mode}' needs θ and φ projections, but these weights have none (a 'gaussian' checkpoint)`);
  }
  if (mode === 'concatenation' && weights.concatProject === null) {
    throw rangeError(`options.mode 'concatenation' needs the concat_project weight, which these weights do not have`);
  }
  const useScale = options.useScale ?? weights.defaults.useScale;
  if (typeof useScale !== 'boolean') throw typeError('options.useScale', 'a boolean', useScale);
  const subSample = options.subSample ?? weights.defaults.subSample;
  if (typeof subSample !== 'boolean') throw typeError('options.subSample', 'a boolean', subSample);
  const poolBeforeConv = subSample && weights.defaults.poolBeforeConv;

  // Pooling kernels: MaxPool1d(2), MaxPool2d((2,2)), MaxPool3d((1,2,2)) — time is never pooled.
  const [poolT, poolH, poolW] = !subSample ? [1, 1, 1] : rank === 3 ? [1, 1, 2] : [1, 2, 2];
  if (Math.floor(t / poolT) < 1 || Math.floor(h / poolH) < 1 || Math.floor(w / poolW) < 1) {
    throw rangeError(`x's spatial shape ${formatShape(spatial)} is too small to sub-sample by ${formatShape(rank === 3 ? [2] : rank === 4 ? [2, 2] : [1, 2, 2])}; pass { subSample: false }`);
  }
  const scale = mode === 'embedded_gaussian' && useScale ? 1 / Math.sqrt(weights.interChannels) : 1;
  const threads = resolveThreads(options.threads);
  const size = x.data.length;
  const out = options.out === undefined ? null : requireOut(options.out, size, x.shape, `a Float32Array of length ${size} (the output has x's shape ${formatShape(x.shape)})`, [['x', x.data]]);
  return {
    x, weights, batch, channels, inter: weights.interChannels, t, h, w, poolT, poolH, poolW, poolBeforeConv,
    mode, scale, threads, out,
  };
}
