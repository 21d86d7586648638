/**
 * The test oracle: the operator's definition written out naively in float64, straight from the
 * formulas (no blocking, no online softmax), on [B, H, N, d] arrays of numbers.
 *   softmax modes: y_i = Σ_j e^{s q_i·k_j} v_j / Σ_j e^{s q_i·k_j}
 *   dot_product:   y_i = Σ_j (s q_i·k_j) v_j / M'
 *   concatenation: y_i = Σ_j ReLU(w_q·q_i + w_k·k_j) v_j / M'
 * over live (unmasked) keys j, M' of them; zeros when M' = 0.
 */
import type { Affinity } from '../../lib/core/tensor';

export interface OracleCase {
  B: number;
  H: number;
  N: number;
  M: number;
  dk: number;
  dv: number;
  /** [B][H][N][dk] flattened in that order */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
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
  for (let b = 0; b < c.B; b++) {
    const live: number[] = [];
    for (let j = 0; j < c.M; j++) if (c.mask === undefined || c.mask[b * c.M + j] !== 0) live.push(j);
    for (let h = 0; h < c.H; h++) {
      const qh = (b * c.H + h) * c.N * c.dk;
      const kh = (b * c.H + h) * c.M * c.dk;
      const vh = (b * c.H + h) * c.M * c.dv;
      for (let i = 0; i < c.N; i++) {
        if (live.length === 0) continue;
        const f = live.map((j) => {
          if (c.affinity === 'concatenation') {
            let a = 0;
            for (let x = 0; x < c.dk; x++) a += c.wq![x] * c.q[qh + i * c.dk + x] + c.wk![x] * c.k[kh + j * c.dk + x];
            return Math.max(0, a);
          }
          let s = 0;
          for (let x = 0; x < c.dk; x++) s += c.q[qh + i * c.dk + x] * c.k[kh + j * c.dk + x];
          return c.scale * s;
        });
        let weights = f;
        let denominator = live.length;
        if (softmax) {
          const max = Math.max(...f);
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
