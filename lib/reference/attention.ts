/**
 * reference.attention in plain TypeScript. Sums are accumulated in float64; a row's softmax is
 * two-pass (max, then exp and sum), the textbook form rather than the kernel's online one.
 */
import { resolveAttention, type AttentionOptions } from '../attention/args';
import type { Tensor } from '../core/tensor';
import { refuseSignal } from '../core/validation';

/**
 * reference.attention: same contract as attention(), computed in plain TypeScript.
 * @example const y = reference.attention(q, k, v, { scale: 0.125 });
 */
export function attention(query: Tensor, key: Tensor, value: Tensor, options?: AttentionOptions): Tensor {
  const p = resolveAttention(query, key, value, options);
  refuseSignal(options, 'attentionAsync');
  const out = p.out ?? new Float32Array(p.outSize);
  const { heads: H, queries: N, keys: M, keyWidth: dk, valueWidth: dv } = p;
  // Element strides [batch, head, row] of the two layouts: [B, N, H·d] and [B, H, N, d].
  const strides = (rows: number, width: number): [number, number, number] =>
    p.layout === 0 ? [rows * H * width, width, H * width] : [H * rows * width, rows * width, width];
  const [qb, qh, qr] = strides(N, dk);
  const [kb, kh, kr] = strides(M, dk);
  const [vb, vh, vr] = strides(M, dv);
  const [ob, oh, or] = strides(N, dv);
  const q = p.query.data;
  const k = p.key.data;
  const v = p.value.data;
  const softmax = p.affinity === 'embedded_gaussian' || p.affinity === 'gaussian';
  const weights = new Float64Array(M);
  const acc = new Float64Array(dv);

  for (let b = 0; b < p.batch; b++) {
    const mask = p.mask === null ? null : p.mask.subarray(b * M, (b + 1) * M);
    let live = 0;
    for (let j = 0; j < M; j++) if (mask === null || mask[j] !== 0) live++;
    for (let h = 0; h < H; h++) {
      const keyDots = p.affinity === 'concatenation' ? concatKeyDots(k, b * kb + h * kh, kr, M, dk, p.concatKey!) : null;
      for (let i = 0; i < N; i++) {
        const qi = b * qb + h * qh + i * qr;
        let denominator = live;
        if (live > 0) {
          let max = -Infinity;
          const queryDot = p.affinity === 'concatenation' ? dot(q, qi, p.concatQuery!, 0, dk) : 0;
          for (let j = 0; j < M; j++) {
            if (mask !== null && mask[j] === 0) continue;
            const f = keyDots !== null ? Math.max(0, queryDot + keyDots[j]) : p.scale * dot(q, qi, k, b * kb + h * kh + j * kr, dk);
            weights[j] = f;
            if (f > max) max = f;
          }
          if (softmax) {
            denominator = 0;
            for (let j = 0; j < M; j++) {
              if (mask !== null && mask[j] === 0) continue;
              weights[j] = Math.exp(weights[j] - max);
              denominator += weights[j];
            }
          }
        }
        acc.fill(0);
        if (live > 0) {
          for (let j = 0; j < M; j++) {
            if (mask !== null && mask[j] === 0) continue;
            const w = weights[j];
            const vj = b * vb + h * vh + j * vr;
            for (let c = 0; c < dv; c++) acc[c] += w * v[vj + c];
          }
        }
        const oi = b * ob + h * oh + i * or;
        for (let c = 0; c < dv; c++) out[oi + c] = live > 0 ? acc[c] / denominator : 0;
      }
    }
  }
  return { data: out, shape: p.outShape };
}

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, n: number): number {
  let s = 0;
  for (let c = 0; c < n; c++) s += a[ai + c] * b[bi + c];
  return s;
}

function concatKeyDots(k: Float32Array, base: number, rowStride: number, M: number, dk: number, w: Float32Array): Float64Array {
  const dots = new Float64Array(M);
  for (let j = 0; j < M; j++) dots[j] = dot(k, base + j * rowStride, w, 0, dk);
  return dots;
}
