/**
 * Validation and shape resolution for attention(query, key, value, options), shared by the native
 * operator and reference.attention so both accept and reject exactly the same calls.
 */
import { MAX_ELEMENTS } from '../core/limits';
import { formatShape, type Affinity, type Tensor } from '../core/tensor';
import { resolveThreads } from '../core/threads';
import type { AttentionSizes, NativeAttentionDescriptor } from '../native/binding';
import {
  isFloat32Array,
  isPlainObject,
  isUint8Array,
  rangeError,
  requireAffinity,
  requireOptions,
  requireOut,
  requireTensor,
  typeError,
} from '../core/validation';

/** Options of attention() and attentionAsync(). */
export interface AttentionOptions {
  /** The pairwise function f; default 'embedded_gaussian' (softmax attention). */
  affinity?: Affinity;
  /** s, multiplying q·k in every mode but 'concatenation'; finite and > 0, default 1. */
  scale?: number;
  /** Rank-3 inputs only: split the last axis into this many contiguous heads (ONNX Runtime MultiHeadAttention layout); default 1. */
  heads?: number;
  /** Uint8Array [B, M] (or [M] for rank 2): 0 = ignore that key. A query whose keys are all masked gets zeros. */
  keyPaddingMask?: Uint8Array;
  /**
   * Causal masking: true = 'upper-left' (query i sees keys j ≤ i, PyTorch is_causal), 'lower-right'
   * (j ≤ i + M − N: the last query sees every key, as a KV cache needs); default false. Key blocks
   * no query may see are skipped. A query that sees no key gets zeros.
   */
  causal?: boolean | 'upper-left' | 'lower-right';
  /**
   * Softmax affinities only: added to the logits after the scale, softmax(s·q·kᵀ + bias). Shape
   * [B|1, H|1, N, M] (size-1 axes broadcast, no copy) or [N, M]. −Infinity masks an entry; a row of
   * only −Infinity gives zeros.
   */
  attentionBias?: Tensor;
  /**
   * Grouped-query attention, rank-3 inputs: key and value carry kvHeads heads (last axis kvHeads·d)
   * and query head h reads KV head ⌊h / (heads / kvHeads)⌋; must divide heads. Rank 4 takes it from
   * key.shape[1]. Default: heads.
   */
  kvHeads?: number;
  /** 'concatenation' only (and required there): w_q and w_k, each a Float32Array of the per-head q/k width. */
  concatWeights?: { query: Float32Array; key: Float32Array };
  /** Threads for this call; default the package-wide default (the machine's cores). */
  threads?: number;
  /** Preallocated output data of exactly the output's element count; must not share memory with any input. */
  out?: Float32Array;
  /** attentionAsync only: abort the call (it rejects with an AbortError within one key block of one query block). */
  signal?: AbortSignal;
}

export const ATTENTION_OPTION_NAMES = ['affinity', 'scale', 'heads', 'kvHeads', 'keyPaddingMask', 'causal', 'attentionBias', 'concatWeights', 'threads', 'out', 'signal'] as const;

/** The descriptor's causal codes: none, upper-left, lower-right. */
const CAUSAL_CODES = { false: 0, true: 1, 'upper-left': 1, 'lower-right': 2 } as const;

/**
 * A fully checked call: every size, stride layout and option resolved — the native descriptor's
 * fields (one definition of them, in native/binding.ts), with the affinity by name, plus the tensors
 * and the output.
 */
export interface AttentionPlan extends Omit<AttentionSizes, 'affinity'>, Omit<NativeAttentionDescriptor, 'sizes' | 'cancel'> {
  query: Tensor;
  key: Tensor;
  value: Tensor;
  affinity: Affinity;
  outShape: number[];
  outSize: number;
  out: Float32Array | null;
}

export function resolveAttention(queryIn: unknown, keyIn: unknown, valueIn: unknown, optionsIn: unknown): AttentionPlan {
  return resolveCall(queryIn, keyIn, valueIn, optionsIn, ATTENTION_OPTION_NAMES);
}

/**
 * The same checks for a call without values (affinityMap): the plan's `value` is a zero-width
 * stand-in and `valueWidth` is 1.
 */
export function resolveQueryKey(queryIn: unknown, keyIn: unknown, optionsIn: unknown, optionNames: readonly string[]): AttentionPlan {
  return resolveCall(queryIn, keyIn, NO_VALUE, optionsIn, optionNames);
}

/** Marks a call without values — a private symbol, so no caller's argument (null included) can pose as it. */
const NO_VALUE = Symbol('no value');

function resolveCall(queryIn: unknown, keyIn: unknown, valueIn: unknown, optionsIn: unknown, optionNames: readonly string[]): AttentionPlan {
  const query = requireTensor(queryIn, 'query');
  const key = requireTensor(keyIn, 'key');
  const value = valueIn === NO_VALUE ? standInValue(key) : requireTensor(valueIn, 'value');
  const options = requireOptions<AttentionOptions>(optionsIn, optionNames);

  const rank = query.shape.length;
  if (rank < 2 || rank > 4) {
    throw rangeError(`query must have rank 2 [N, Dk], 3 [B, N, Dk] or 4 [B, H, N, dk], got shape ${formatShape(query.shape)}`);
  }
  for (const [name, t] of [['key', key], ['value', value]] as const) {
    if (t.shape.length !== rank) {
      throw rangeError(`${name} must have the same rank as query (${rank}), got shape ${formatShape(t.shape)} for query ${formatShape(query.shape)}`);
    }
  }
  const q = query.shape;
  const k = key.shape;
  const v = value.shape;
  const lead = rank - 2; // leading batch/head axes
  if (lead >= 1) {
    if (k[0] !== q[0]) throw rangeError(`key.shape[0] (batch) must equal query.shape[0] = ${q[0]}; got key ${formatShape(k)}, query ${formatShape(q)}`);
    if (v[0] !== q[0]) throw rangeError(`value.shape[0] (batch) must equal query.shape[0] = ${q[0]}; got value ${formatShape(v)}, query ${formatShape(q)}`);
  }
  if (lead === 2) {
    // Grouped-query heads: K and V may have fewer heads (Hkv), dividing the query's.
    if (v[1] !== k[1]) throw rangeError(`value.shape[1] (KV heads) must equal key.shape[1] = ${k[1]}; got value ${formatShape(v)}, key ${formatShape(k)}`);
    if (q[1] % k[1] !== 0) {
      throw rangeError(`key.shape[1] (${k[1]} KV heads) must divide query.shape[1] = ${q[1]} heads (grouped-query attention); got key ${formatShape(k)}, query ${formatShape(q)}`);
    }
  }
  if (v[lead] !== k[lead]) {
    throw rangeError(`value.shape[${lead}] must equal key.shape[${lead}] = ${k[lead]} (the number of keys M); got value ${formatShape(v)}, key ${formatShape(k)}`);
  }

  const batch = rank >= 3 ? q[0] : 1;
  let heads = rank === 4 ? q[1] : 1;
  let kvHeads = rank === 4 ? k[1] : 1;
  const queries = q[lead];
  const keys = k[lead];
  let keyWidth = q[lead + 1];
  let valueWidth = v[lead + 1];
  let kvKeyWidth = k[lead + 1];
  let kvValueWidth = valueWidth;

  if (options.heads !== undefined) {
    const h = options.heads;
    if (typeof h !== 'number') throw typeError('options.heads', 'a positive integer', h);
    if (!Number.isSafeInteger(h) || h < 1) throw rangeError(`options.heads must be a positive integer, got ${h}`);
    if (rank === 4) {
      if (h !== heads) throw rangeError(`options.heads (${h}) must match query.shape[1] = ${heads} for rank-4 inputs [B, H, N, dk]`);
    } else if (rank === 2) {
      if (h !== 1) throw rangeError(`options.heads applies to rank-3 inputs [B, N, D]; for rank 2 use rank-3 [1, N, D] (got heads ${h})`);
    } else {
      if (keyWidth % h !== 0) throw rangeError(`options.heads (${h}) must divide the q/k width query.shape[2] = ${keyWidth}`);
      heads = h;
      keyWidth /= h;
    }
  }
  if (options.kvHeads !== undefined) {
    const g = options.kvHeads;
    if (typeof g !== 'number') throw typeError('options.kvHeads', 'a positive integer', g);
    if (!Number.isSafeInteger(g) || g < 1) throw rangeError(`options.kvHeads must be a positive integer, got ${g}`);
    if (rank === 4 && g !== kvHeads) throw rangeError(`options.kvHeads (${g}) must match key.shape[1] = ${kvHeads} for rank-4 inputs [B, Hkv, M, dk]`);
    if (rank === 2 && g !== 1) throw rangeError(`options.kvHeads applies to rank-3 inputs [B, M, Hkv·dk]; for rank 2 use rank-3 [1, M, D] (got kvHeads ${g})`);
    if (heads % g !== 0) throw rangeError(`options.kvHeads (${g}) must divide options.heads (${heads}): each KV head serves heads / kvHeads query heads`);
    kvHeads = g;
  } else if (rank === 3) {
    kvHeads = heads;
  }
  if (rank === 3) {
    // K and V: kvHeads heads of the query's per-head width.
    if (kvKeyWidth !== kvHeads * keyWidth && kvHeads === heads) {
      throw rangeError(`key.shape[2] must equal query.shape[2] = ${q[2]} (the q/k width); got key ${formatShape(k)}, query ${formatShape(q)}`);
    }
    if (kvKeyWidth !== kvHeads * keyWidth) {
      throw rangeError(`key.shape[2] must be kvHeads · dk = ${kvHeads} · ${keyWidth} = ${kvHeads * keyWidth}; got key ${formatShape(k)}, query ${formatShape(q)} with heads ${heads}`);
    }
    if (valueIn === NO_VALUE) kvValueWidth = kvHeads;
    if (kvValueWidth % kvHeads !== 0) throw rangeError(`${kvHeads === heads ? 'options.heads' : 'options.kvHeads'} (${kvHeads}) must divide the value width value.shape[2] = ${kvValueWidth}`);
    valueWidth = kvValueWidth / kvHeads;
    kvKeyWidth = keyWidth;
  } else if (kvKeyWidth !== keyWidth) {
    throw rangeError(`key.shape[${lead + 1}] must equal query.shape[${lead + 1}] = ${keyWidth} (the q/k width); got key ${formatShape(k)}, query ${formatShape(q)}`);
  }

  const affinity = requireAffinity(options.affinity ?? 'embedded_gaussian', 'options.affinity');

  const scale = options.scale ?? 1;
  if (typeof scale !== 'number') throw typeError('options.scale', 'a finite number > 0', scale);
  if (!Number.isFinite(scale) || scale <= 0) throw rangeError(`options.scale must be a finite number > 0, got ${scale}`);
  if (affinity === 'concatenation' && scale !== 1) {
    throw rangeError(`options.scale does not apply to affinity 'concatenation' (f = ReLU(w_q·q + w_k·k)); leave it at 1, got ${scale}`);
  }

  let mask: Uint8Array | null = null;
  if (options.keyPaddingMask !== undefined) {
    const m = options.keyPaddingMask;
    if (!isUint8Array(m)) throw typeError('options.keyPaddingMask', `a Uint8Array of shape [${batch}, ${keys}] (B, M)`, m);
    if (m.length !== batch * keys) {
      throw rangeError(`options.keyPaddingMask has ${m.length} elements but must have shape [${batch}, ${keys}] (B, M) = ${batch * keys} elements`);
    }
    mask = m;
  }

  const causalIn = options.causal ?? false;
  if (causalIn !== true && causalIn !== false && causalIn !== 'upper-left' && causalIn !== 'lower-right') {
    throw typeError('options.causal', "true, false, 'upper-left' or 'lower-right'", causalIn);
  }
  const causal = CAUSAL_CODES[String(causalIn) as keyof typeof CAUSAL_CODES];

  let bias: Float32Array | null = null;
  let biasBatch = 0;
  let biasHeads = 1;
  if (options.attentionBias !== undefined) {
    if (affinity !== 'embedded_gaussian' && affinity !== 'gaussian') {
      throw typeError('options.attentionBias', `used with a softmax affinity ('embedded_gaussian' or 'gaussian'): it is added to the logits before the softmax, and affinity '${affinity}' has none`, options.attentionBias);
    }
    const t = requireTensor(options.attentionBias, 'options.attentionBias');
    const s = t.shape;
    const expected = `[B|1, H|1, N, M] = [${batch}|1, ${heads}|1, ${queries}, ${keys}] or [N, M] = [${queries}, ${keys}]`;
    const fits4 = s.length === 4 && (s[0] === 1 || s[0] === batch) && (s[1] === 1 || s[1] === heads) && s[2] === queries && s[3] === keys;
    const fits2 = s.length === 2 && s[0] === queries && s[1] === keys;
    if (!fits4 && !fits2) throw rangeError(`options.attentionBias must have shape ${expected}, got ${formatShape(s)}`);
    bias = t.data;
    biasBatch = fits4 ? s[0] : 1;
    biasHeads = fits4 ? s[1] : 1;
  }

  let concatQuery: Float32Array | null = null;
  let concatKey: Float32Array | null = null;
  if (affinity === 'concatenation') {
    const w = options.concatWeights;
    if (w === undefined) throw typeError('options.concatWeights', `{ query: Float32Array[${keyWidth}], key: Float32Array[${keyWidth}] } for affinity 'concatenation'`, w);
    if (!isPlainObject(w)) throw typeError('options.concatWeights', `{ query: Float32Array[${keyWidth}], key: Float32Array[${keyWidth}] }`, w);
    for (const part of ['query', 'key'] as const) {
      const arr = w[part];
      if (!isFloat32Array(arr)) throw typeError(`options.concatWeights.${part}`, `a Float32Array of length ${keyWidth} (the per-head q/k width)`, arr);
      if (arr.length !== keyWidth) throw rangeError(`options.concatWeights.${part} must have length ${keyWidth} (the per-head q/k width), got ${arr.length}`);
    }
    concatQuery = w.query as Float32Array;
    concatKey = w.key as Float32Array;
  } else if (options.concatWeights !== undefined) {
    throw rangeError(`options.concatWeights is only used by affinity 'concatenation', not '${affinity}'`);
  }

  const threads = resolveThreads(options.threads);

  const outShape = rank === 4 ? [batch, heads, queries, valueWidth] : [...q.slice(0, lead), queries, valueWidth * heads];
  const outSize = batch * heads * queries * valueWidth;
  if (outSize > MAX_ELEMENTS) throw rangeError(`the output ${formatShape(outShape)} would have more than 2^32 − 1 elements`);

  const out =
    options.out === undefined
      ? null
      : requireOut(options.out, outSize, outShape, `a Float32Array of length ${outSize} (output shape ${formatShape(outShape)})`, [
          ['query', query.data], ['key', key.data], ['value', value.data], ['keyPaddingMask', mask], ['attentionBias', bias], ['concatWeights.query', concatQuery], ['concatWeights.key', concatKey],
        ]);

  return {
    query, key, value, layout: rank === 4 ? 1 : 0, batch, heads, kvHeads, queries, keys, keyWidth, valueWidth,
    affinity, scale, mask, causal, bias, biasBatch, biasHeads, concatQuery, concatKey, threads, outShape, outSize, out,
  };
}

/** A value tensor of width 1 per head with no data, so shape checks pass when there are no values. */
function standInValue(key: Tensor): Tensor {
  const shape = key.shape.slice();
  shape[shape.length - 1] = 1;
  return { data: new Float32Array(0), shape };
}

/**
 * The keys query i sees under the plan's causal mask: j < visibleKeyEnd(plan, i) (all M without
 * one). Upper-left: j ≤ i; lower-right: j ≤ i + M − N. (The native kernel applies the same rule.)
 */
export function visibleKeyEnd(plan: AttentionPlan, i: number): number {
  if (plan.causal === 0) return plan.keys;
  const offset = plan.causal === 1 ? 0 : plan.keys - plan.queries;
  return Math.max(0, Math.min(plan.keys, i + offset + 1));
}

/** Where the bias row of (batch b, head h, query i) starts in plan.bias (broadcast axes stride 0); -1 without a bias. */
export function biasRowOffset(plan: AttentionPlan, b: number, h: number, i: number): number {
  if (plan.bias === null) return -1;
  const bb = plan.biasBatch === 1 ? 0 : b;
  const hh = plan.biasHeads === 1 ? 0 : h;
  return ((bb * plan.biasHeads + hh) * plan.queries + i) * plan.keys;
}

/** The KV head query head h reads (grouped-query attention): ⌊h / (H / Hkv)⌋. */
export function kvHeadOf(plan: AttentionPlan, h: number): number {
  return Math.floor(h / (plan.heads / plan.kvHeads));
}
