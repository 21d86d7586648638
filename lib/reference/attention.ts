/**
 * reference.attention in plain TypeScript. Sums are accumulated in float64; a row's softmax is
 * two-pass (max, then exp and sum), the textbook form rather than the kernel's online one.
 */
import { biasRowOffset, kvHeadOf, resolveAttention, visibleKeyEnd, type AttentionOptions } from '../attention/args';
import { normaliseRow } from '../attention/row-weights';
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
  const { heads: H, kvHeads: Hkv, queries: N, keys: M, keyWidth: dk, valueWidth: dv } = p;
  // Element strides [batch, head, row] of the two layouts: [B, N, H·d] and [B, H, N, d].
  const strides = (heads: number, rows: number, width: number): [number, number, number] =>
    p.layout === 0 ? [rows * heads * width, width, heads * width] : [heads * rows * width, rows * width, width];
  const [qb, qh, qr] = strides(H, N, dk);
  const [kb, kh, kr] = strides(Hkv, M, dk);
  const [vb, vh, vr] = strides(Hkv, M, dv);
  const [ob, oh, or] = strides(H, N, dv);
  const q = p.query.data;
  const k = p.key.data;
  const v = p.value.data;
  const softmax = p.affinity === 'embedded_gaussian' || p.affinity === 'gaussian';
  const weights = new Float64Array(M);
  const acc = new Float64Array(dv);

  for (let b = 0; b < p.batch; b++) {
    const mask = p.mask === null ? null : p.mask.subarray(b * M, (b + 1) * M);
    const seen = (j: number): boolean => mask === null || mask[j] !== 0;
    for (let h = 0; h < H; h++) {
      const g = kvHeadOf(p, h);
      const keyDots = p.affinity === 'concatenation' ? concatKeyDots(k, b * kb + g * kh, kr, M, dk, p.concatKey!) : null;
      for (let i = 0; i < N; i++) {
        const end = visibleKeyEnd(p, i);
        const biasRow = biasRowOffset(p, b, h, i);
        const qi = b * qb + h * qh + i * qr;
        const queryDot = p.affinity === 'concatenation' ? dot(q, qi, p.concatQuery!, 0, dk) : 0;
        for (let j = 0; j < end; j++) {
          if (!seen(j)) continue;
          let f = keyDots !== null ? Math.max(0, queryDot + keyDots[j]) : p.scale * dot(q, qi, k, b * kb + g * kh + j * kr, dk);
          if (biasRow >= 0) f += p.bias![biasRow + j];
          weights[j] = f;
        }
        const denominator = normaliseRow(weights, end, seen, softmax);
        acc.fill(0);
        for (let j = 0; j < end; j++) {
          if (!seen(j)) continue;
          const w = weights[j];
          const vj = b * vb + g * vh + j * vr;
          for (let c = 0; c < dv; c++) acc[c] += w * v[vj + c];
        }
        const oi = b * ob + h * oh + i * or;
        for (let c = 0; c < dv; c++) out[oi + c] = denominator === 0 ? 0 : acc[c] / denominator;
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
