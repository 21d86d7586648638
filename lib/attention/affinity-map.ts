/**
 * The normalised affinity matrix itself, [.., N, M], for inspection and pictures (the paper's
 * attention maps). Unlike attention() this does hold N×M, so it refuses sizes over a limit.
 */
import { biasRowOffset, kvHeadOf, resolveQueryKey, visibleKeyEnd, type AttentionOptions } from './args';
import { normaliseRow } from './row-weights';
import { formatShape, type Tensor } from '../core/tensor';
import { rangeError, typeError } from '../core/validation';

export interface AffinityMapOptions extends Pick<AttentionOptions, 'affinity' | 'scale' | 'heads' | 'kvHeads' | 'keyPaddingMask' | 'causal' | 'attentionBias' | 'concatWeights'> {
  /** Largest map (B·H·N·M elements) to allocate; default 2^25 (128 MiB of float32). */
  maxElements?: number;
}

const MAP_OPTION_NAMES = ['affinity', 'scale', 'heads', 'kvHeads', 'keyPaddingMask', 'causal', 'attentionBias', 'concatWeights', 'maxElements'] as const;
const DEFAULT_MAX_ELEMENTS = 2 ** 25;

/**
 * Row i holds f(q_i, k_j)/C_i over the keys j: a softmax row (sums to 1) for the Gaussian modes,
 * f/M' for dot_product and concatenation; keys masked by the padding mask, the causal mask or a
 * −Infinity bias are 0 (a row that sees no key is all 0). The bias is added to the logits before
 * the softmax, as in attention(). Computed in float64, stored as float32.
 *
 * @returns `[N, M]` (rank 2), `[B, N, M]` (rank 3, one head), or `[B, H, N, M]`
 * @throws {RangeError} when the map would exceed `maxElements`, or on the same input errors as attention()
 * @example const map = affinityMap(theta, phi, { scale: 1 / Math.sqrt(256) });
 */
export function affinityMap(query: Tensor, key: Tensor, options?: AffinityMapOptions): Tensor {
  const p = resolveQueryKey(query, key, options, MAP_OPTION_NAMES);
  const limit = options?.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (typeof limit !== 'number') throw typeError('options.maxElements', 'a positive integer', limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw rangeError(`options.maxElements must be a positive integer, got ${limit}`);
  const { batch: B, heads: H, queries: N, keys: M, keyWidth: dk } = p;
  const rank = p.query.shape.length;
  const shape = rank === 2 ? [N, M] : rank === 3 && H === 1 ? [B, N, M] : [B, H, N, M];
  const size = B * H * N * M;
  if (size > limit) {
    throw rangeError(`affinityMap would allocate ${formatShape(shape)} = ${size} elements, over options.maxElements = ${limit}; use attention() (which never holds N×M) or pass a smaller query`);
  }
  const strides = (heads: number, rows: number): [number, number, number] =>
    p.layout === 0 ? [rows * heads * dk, dk, heads * dk] : [heads * rows * dk, rows * dk, dk];
  const [qb, qh, qr] = strides(H, N);
  const [kb, kh, kr] = strides(p.kvHeads, M);
  const q = p.query.data;
  const k = p.key.data;
  const out = new Float32Array(size);
  const row = new Float64Array(M);
  const softmax = p.affinity === 'embedded_gaussian' || p.affinity === 'gaussian';
  for (let b = 0; b < B; b++) {
    const seen = (j: number): boolean => p.mask === null || p.mask[b * M + j] !== 0;
    for (let h = 0; h < H; h++) {
      const g = kvHeadOf(p, h);
      for (let i = 0; i < N; i++) {
        const base = ((b * H + h) * N + i) * M;
        const end = visibleKeyEnd(p, i);
        const biasRow = biasRowOffset(p, b, h, i);
        const qi = b * qb + h * qh + i * qr;
        const queryDot = p.concatQuery === null ? 0 : dotAt(q, qi, p.concatQuery, 0, dk);
        for (let j = 0; j < end; j++) {
          if (!seen(j)) continue;
          const kj = b * kb + g * kh + j * kr;
          row[j] = p.concatKey !== null ? Math.max(0, queryDot + dotAt(k, kj, p.concatKey, 0, dk)) : p.scale * dotAt(q, qi, k, kj, dk);
          if (biasRow >= 0) row[j] += p.bias![biasRow + j];
        }
        const denominator = normaliseRow(row, end, seen, softmax);
        if (denominator === 0) continue; // no key seen: the row stays 0
        for (let j = 0; j < end; j++) if (seen(j)) out[base + j] = row[j] / denominator;
      }
    }
  }
  return { data: out, shape };
}

function dotAt(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number): number {
  let s = 0;
  for (let c = 0; c < n; c++) s += a[ai + c] * b[bi + c];
  return s;
}
