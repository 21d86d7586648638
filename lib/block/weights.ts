/**
 * The weights of one non-local block, independent of the checkpoint's naming convention, and the
 * two things done with them before the kernel runs: checking that they fit together, and packing
 * them the way the native block wants them (1×1 convolutions transposed and concatenated, the
 * BatchNorm folded into the output convolution).
 */
import { binding, type NativePackedWeights } from '../native/binding';
import type { Affinity } from '../core/tensor';
import { isFloat32Array, rangeError, typeError } from '../core/validation';

import type { Convention, WeightsConventions } from './families';

export type { Convention } from './families';

/** A 1×1 convolution: weight [out][in] (kernel dims dropped), bias [out] or null. */
export interface Conv1x1 {
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
}

/** Inference-mode BatchNorm: y = γ (x − μ)/√(σ² + ε) + β per channel. */
export interface BatchNorm {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly runningMean: Float32Array;
  readonly runningVar: Float32Array;
  readonly eps: number;
}

/**
 * A block's weights. Treated as immutable: the packed form the kernel uses is cached per weights
 * object, so after changing any of its arrays in place pass a new object (`{ ...weights }`).
 */
export interface NonLocalWeights {
  readonly convention: Convention;
  /** C */
  readonly inChannels: number;
  /** C_inter */
  readonly interChannels: number;
  /** 1, 2 or 3 when the checkpoint's kernel shapes tell (NonLocal1d/2d/3d), else null */
  readonly dims: 1 | 2 | 3 | null;
  /** θ and φ: absent in 'gaussian' checkpoints */
  readonly theta: Conv1x1 | null;
  readonly phi: Conv1x1 | null;
  readonly g: Conv1x1;
  /** W_z: [C][C_inter], with its bias unless a BatchNorm follows (mmcv) */
  readonly out: Conv1x1;
  readonly bn: BatchNorm | null;
  /** concatenation's concat_project weight [2·C_inter]: the first C_inter multiply θ */
  readonly concatProject: Float32Array | null;
  /**
   * What the loader inferred about the settings, and from what (absent on weights built by hand):
   * the recognised model family, and for each setting its source — caller, metadata, keys, the
   * family's config or a library default.
   */
  readonly conventions?: WeightsConventions;
  /** The settings nonLocalBlock uses when its options leave them out (conventions' values). */
  readonly defaults: {
    readonly mode: Affinity;
    readonly useScale: boolean;
    readonly subSample: boolean;
    readonly poolBeforeConv: boolean;
  };
}

function requireArray(value: unknown, name: string, length: number): Float32Array {
  if (!isFloat32Array(value)) throw typeError(name, `a Float32Array of length ${length}`, value);
  if (value.length !== length) throw rangeError(`${name} must have length ${length}, got ${value.length}`);
  return value;
}

/** Checks a NonLocalWeights object (from the loader or built by hand) for consistent sizes. */
export function validateWeights(w: unknown): NonLocalWeights {
  if (typeof w !== 'object' || w === null) throw typeError('weights', 'a NonLocalWeights object (see loadNonLocalWeights)', w);
  const weights = w as NonLocalWeights;
  const C = weights.inChannels;
  const Ci = weights.interChannels;
  for (const [name, v] of [['weights.inChannels', C], ['weights.interChannels', Ci]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw rangeError(`${name} must be a positive integer, got ${String(v)}`);
  }
  const conv = (c: unknown, name: string, outC: number, inC: number, biasRequired: boolean): void => {
    if (typeof c !== 'object' || c === null) throw typeError(name, '{ weight: Float32Array, bias: Float32Array | null }', c);
    const { weight, bias } = c as Conv1x1;
    requireArray(weight, `${name}.weight`, outC * inC);
    if (bias !== null || biasRequired) requireArray(bias, `${name}.bias`, outC);
  };
  conv(weights.g, 'weights.g', Ci, C, false);
  if ((weights.theta === null) !== (weights.phi === null)) throw rangeError('weights.theta and weights.phi must both be present or both be null');
  if (weights.theta !== null) conv(weights.theta, 'weights.theta', Ci, C, false);
  if (weights.phi !== null) conv(weights.phi, 'weights.phi', Ci, C, false);
  conv(weights.out, 'weights.out', C, Ci, false);
  if (weights.bn !== null) {
    const bn = weights.bn;
    if (typeof bn !== 'object') throw typeError('weights.bn', 'a BatchNorm object or null', bn);
    for (const key of ['weight', 'bias', 'runningMean', 'runningVar'] as const) requireArray(bn[key], `weights.bn.${key}`, C);
    if (typeof bn.eps !== 'number' || !(bn.eps >= 0) || !Number.isFinite(bn.eps)) throw rangeError(`weights.bn.eps must be a finite number ≥ 0, got ${String(bn.eps)}`);
  }
  if (weights.concatProject !== null) requireArray(weights.concatProject, 'weights.concatProject', 2 * Ci);
  return weights;
}

/** The arrays the native block takes for one (weights, mode, order) choice (the native layer's type). */
export type PackedWeights = NativePackedWeights;

/**
 * Folds inference BatchNorm into the output convolution, in float64:
 *   s_c = γ_c / √(σ²_c + ε),  W'_c = s_c · W_c,  b'_c = s_c · (b_c − μ_c) + β_c
 * (b_c = 0 when the convolution has no bias, as in mmcv; AlexHex7's conv bias folds in here).
 */
export function foldOutput(w: NonLocalWeights): { weight: Float64Array; bias: Float64Array } {
  const C = w.inChannels;
  const Ci = w.interChannels;
  const weight = Float64Array.from(w.out.weight);
  const bias = new Float64Array(C);
  for (let c = 0; c < C; c++) bias[c] = w.out.bias === null ? 0 : w.out.bias[c];
  if (w.bn !== null) {
    for (let c = 0; c < C; c++) {
      const s = w.bn.weight[c] / Math.sqrt(w.bn.runningVar[c] + w.bn.eps);
      for (let i = 0; i < Ci; i++) weight[c * Ci + i] *= s;
      bias[c] = s * (bias[c] - w.bn.runningMean[c]) + w.bn.bias[c];
    }
  }
  return { weight, bias };
}

/**
 * Width of the kernel's column panels (native/kernel/types.h kPanelColumns): the native
 * GEMM reads its B operand as ⌈cols / 64⌉ panels of [rows][64] floats, each microkernel tile's slice
 * contiguous. The same for every instruction set, so the packed weights below serve any kernel.
 */
export const PANEL_COLUMNS = 64;

/**
 * [out][in] convolutions side by side, transposed to [in][Σ out] (the GEMM's B) and laid out as
 * column panels: column c of input row i at ⌊c/64⌋·in·64 + i·64 + c mod 64 (padding columns 0).
 * The panels start on a 64-byte boundary, so each 16-float vector the kernel loads is one cache line.
 */
function stackTransposed(convs: Conv1x1[], inC: number): { w: Float32Array; b: Float32Array } {
  const cols = convs.reduce((n, c) => n + c.weight.length / inC, 0);
  const panelStride = inC * PANEL_COLUMNS;
  const w = binding().alignedFloat32Array(Math.ceil(cols / PANEL_COLUMNS) * panelStride);
  const b = new Float32Array(cols);
  let offset = 0;
  for (const conv of convs) {
    const outC = conv.weight.length / inC;
    for (let o = 0; o < outC; o++) {
      const col = offset + o;
      const base = Math.floor(col / PANEL_COLUMNS) * panelStride + (col % PANEL_COLUMNS);
      for (let i = 0; i < inC; i++) w[base + i * PANEL_COLUMNS] = conv.weight[o * inC + i];
      b[col] = conv.bias === null ? 0 : conv.bias[o];
    }
    offset += outC;
  }
  return { w, b };
}

const packCache = new WeakMap<NonLocalWeights, Map<string, PackedWeights>>();

/** Packs (and caches per weights object) the native block's arrays for a mode and pooling order. */
export function packWeights(w: NonLocalWeights, mode: Affinity, poolBeforeConv: boolean): PackedWeights {
  const key = `${mode}|${poolBeforeConv}`;
  let byKey = packCache.get(w);
  const cached = byKey?.get(key);
  if (cached) return cached;
  const C = w.inChannels;
  const Ci = w.interChannels;
  const gaussian = mode === 'gaussian';
  const xConvs: Conv1x1[] = [];
  const pooledConvs: Conv1x1[] = [];
  if (!gaussian) xConvs.push(w.theta!);
  const kv = gaussian ? [w.g] : [w.phi!, w.g];
  (poolBeforeConv ? pooledConvs : xConvs).push(...kv);
  const x = stackTransposed(xConvs, C);
  const pooled = poolBeforeConv ? stackTransposed(pooledConvs, C) : null;
  const folded = foldOutput(w);
  const outWt = new Float32Array(Ci * C);
  for (let c = 0; c < C; c++) for (let i = 0; i < Ci; i++) outWt[i * C + c] = folded.weight[c * Ci + i];
  const packed: PackedWeights = {
    wx: x.w,
    bx: x.b,
    wp: pooled?.w ?? null,
    bp: pooled?.b ?? null,
    outWt,
    outB: Float32Array.from(folded.bias),
    concatTheta: mode === 'concatenation' ? w.concatProject!.slice(0, Ci) : null,
    concatPhi: mode === 'concatenation' ? w.concatProject!.slice(Ci, 2 * Ci) : null,
  };
  if (!byKey) {
    byKey = new Map();
    packCache.set(w, byKey);
  }
  byKey.set(key, packed);
  return packed;
}
