/**
 * The test oracle: the operator's definition written out naively in float64, straight from the
 * formulas (no blocking, no online softmax), on [B, H, N, d] arrays of numbers.
 *   softmax modes: y_i = Σ_j e^{s q_i·k_j} v_j / Σ_j e^{s q_i·k_j}
 *   dot_product:   y_i = Σ_j (s q_i·k_j) v_j / M'
 *   concatenation: y_i = Σ_j ReLU(w_q·q_i + w_k·k_j) v_j / M'
 * over live keys j, M' of them — not padding-masked and, with a causal mask, j ≤ i (upper-left) or
 * j ≤ i + M − N (lower-right); zeros when M' = 0. The softmax modes add bias[i][j] to the logit
 * first (a row of −∞ logits gives zeros). Grouped-query heads: query head h reads KV head
 * ⌊h / (H / Hkv)⌋.
 */
import type { Affinity } from '../../lib/core/tensor';

export interface OracleCase {
  B: number;
  H: number;
  N: number;
  M: number;
  dk: number;
  dv: number;
  /** [B][H][N][dk] flattened in that order; k and v [B][Hkv][M][d] */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** KV heads (default H) */
  Hkv?: number;
  causal?: 'upper-left' | 'lower-right';
  /** [Bb][Hb][N][M] with Bb ∈ {1, B}, Hb ∈ {1, H} */
  bias?: { data: Float32Array; Bb: number; Hb: number };
  affinity: Affinity;
  scale: number;
  mask?: Uint8Array; // [B][M]
  wq?: Float32Array;
  wk?: Float32Array;
}

/** Returns y as [B][H][N][dv] in float64. */
export function oracleAttention(c: OracleCase): Float64Array {
  const y = new Float64Array(c.B * c.H * c.N * c.dv);
  const softmax = c.affinity === 'embedded_gaussian' || c.affinity === 'gaussian';
  const Hkv = c.Hkv ?? c.H;
  for (let b = 0; b < c.B; b++) {
    for (let h = 0; h < c.H; h++) {
      const g = Math.floor(h / (c.H / Hkv));
      const qh = (b * c.H + h) * c.N * c.dk;
      const kh = (b * Hkv + g) * c.M * c.dk;
      const vh = (b * Hkv + g) * c.M * c.dv;
      for (let i = 0; i < c.N; i++) {
        const limit = c.causal === undefined ? c.M - 1 : c.causal === 'upper-left' ? i : i + c.M - c.N;
        const live: number[] = [];
        for (let j = 0; j <= Math.min(limit, c.M - 1); j++) if (c.mask === undefined || c.mask[b * c.M + j] !== 0) live.push(j);
        if (live.length === 0) continue;
        const biasRow = c.bias === undefined ? -1 : (((c.bias.Bb === 1 ? 0 : b) * c.bias.Hb + (c.bias.Hb === 1 ? 0 : h)) * c.N + i) * c.M;
        const f = live.map((j) => {
          if (c.affinity === 'concatenation') {
            let a = 0;
            for (let x = 0; x < c.dk; x++) a += c.wq![x] * c.q[qh + i * c.dk + x] + c.wk![x] * c.k[kh + j * c.dk + x];
            return Math.max(0, a);
          }
          let s = 0;
          for (let x = 0; x < c.dk; x++) s += c.q[qh + i * c.dk + x] * c.k[kh + j * c.dk + x];
          return c.scale * s + (biasRow >= 0 ? c.bias!.data[biasRow + j] : 0);
        });
        let weights = f;
        let denominator = live.length;
        if (softmax) {
          const max = Math.max(...f);
          if (max === -Infinity) continue; // every logit masked by the bias: zeros
          weights = f.map((s) => Math.exp(s - max));
          denominator = weights.reduce((a, w) => a + w, 0);
        }
        const yi = ((b * c.H + h) * c.N + i) * c.dv;
        live.forEach((j, t) => {
          for (let x = 0; x < c.dv; x++) y[yi + x] += (weights[t] * c.v[vh + j * c.dv + x]) / denominator;
        });
      }
    }
  }
  return y;
}

/** max |got − want| / max |want| (or the absolute error when want is all zeros). */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= err)) err = e; // NaN-propagating max
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? err : err / scale;
}

/** max |a − b| over the elements (NaN counts as the largest): the fixtures' max-abs comparison. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** Deterministic uniform floats in [lo, hi): the package's one seeded generator. */
export { seededFloats as randomFloats } from '../../lib/core/seeded-random';

/** Transposes [B][H][R][d] to [B][R][H·d] (the rank-3 multi-head layout). */
export function toHeadsLast(x: Float32Array, B: number, H: number, R: number, d: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let r = 0; r < R; r++)
        for (let c = 0; c < d; c++) out[((b * R + r) * H + h) * d + c] = x[((b * H + h) * R + r) * d + c];
  return out;
}
