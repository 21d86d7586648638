/**
 * The normalised affinity matrix itself, [.., N, M], for inspection and pictures (the paper's
 * attention maps). Unlike attention() this does hold N×M, so it refuses sizes over a limit.
 */
import { resolveQueryKey, type AttentionOptions } from './args';
import { formatShape, type Tensor } from '../core/tensor';
import { rangeError, typeError } from '../core/validation';

export interface AffinityMapOptions extends Pick<AttentionOptions, 'affinity' | 'scale' | 'heads' | 'keyPaddingMask' | 'concatWeights'> {
  /** Largest map (B·H·N·M elements) to allocate; default 2^25 (128 MiB of float32). */
  maxElements?: number;
}

const MAP_OPTION_NAMES = ['affinity', 'scale', 'heads', 'keyPaddingMask', 'concatWeights', 'maxElements'] as const;
const DEFAULT_MAX_ELEMENTS = 2 ** 25;

/**
 * Row i holds f(q_i, k_j)/C_i over the keys j: a softmax row (sums to 1) for the Gaussian modes,
 * f/M' for dot_product and concatenation; masked keys are 0. Computed in float64, stored as float32.
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
  const strides = (rows: number): [number, number, number] =>
    p.layout === 0 ? [rows * H * dk, dk, H * dk] : [H * rows * dk, rows * dk, dk];
  const [qb, qh, qr] = strides(N);
  const [kb, kh, kr] = strides(M);
  const q = p.query.data;
  const k = p.key.data;
  const out = new Float32Array(size);
  const row = new Float64Array(M);
  const softmax = p.affinity === 'embedded_gaussian' || p.affinity === 'gaussian';
  for (let b = 0; b < B; b++) {
    const live = (j: number): boolean => p.mask === null || p.mask[b * M + j] !== 0;
    let liveCount = 0;
    for (let j = 0; j < M; j++) if (live(j)) liveCount++;
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < N; i++) {
        const base = ((b * H + h) * N + i) * M;
        if (liveCount === 0) continue; // all keys masked: the row stays 0
        const qi = b * qb + h * qh + i * qr;
        const queryDot = p.concatQuery === null ? 0 : dotAt(q, qi, p.concatQuery, 0, dk);
        let max = -Infinity;
        for (let j = 0; j < M; j++) {
          if (!live(j)) continue;
          const kj = b * kb + h * kh + j * kr;
          row[j] = p.concatKey !== null ? Math.max(0, queryDot + dotAt(k, kj, p.concatKey, 0, dk)) : p.scale * dotAt(q, qi, k, kj, dk);
          if (row[j] > max) max = row[j];
        }
        let denominator = liveCount;
        if (softmax) {
          denominator = 0;
          for (let j = 0; j < M; j++) {
            if (!live(j)) continue;
            row[j] = Math.exp(row[j] - max);
            denominator += row[j];
          }
        }
        for (let j = 0; j < M; j++) out[base + j] = live(j) ? row[j] / denominator : 0;
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
