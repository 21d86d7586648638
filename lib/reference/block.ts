/**
 * reference.nonLocalBlock: the block in plain TypeScript, written from the PyTorch modules'
 * forward passes rather than from the kernel — separate convolutions, explicit BatchNorm (not
 * folded), a materialised N×M affinity, float64 throughout, float32 only at the end.
 */
import type { Tensor } from '../core/tensor';
import { refuseSignal } from '../core/validation';
import { resolveBlock, type NonLocalBlockOptions } from '../block/block-args';
import type { Conv1x1, NonLocalWeights } from '../block/weights';

/** out[o][n] = b[o] + Σ_i W[o][i] · x[i][n]  (a 1×1 convolution, channels-first) */
function conv(c: Conv1x1, x: Float64Array, inC: number, n: number): Float64Array {
  const outC = c.weight.length / inC;
  const out = new Float64Array(outC * n);
  for (let o = 0; o < outC; o++) {
    const b = c.bias === null ? 0 : c.bias[o];
    for (let p = 0; p < n; p++) {
      let s = b;
      for (let i = 0; i < inC; i++) s += c.weight[o * inC + i] * x[i * n + p];
      out[o * n + p] = s;
    }
  }
  return out;
}

/** Floor-mode max-pool of channels-first data over (t, h, w) with kernel = stride (kt, kh, kw). */
function maxPool(x: Float64Array, channels: number, [t, h, w]: number[], [kt, kh, kw]: number[]): Float64Array {
  const [ot, oh, ow] = [Math.floor(t / kt), Math.floor(h / kh), Math.floor(w / kw)];
  const out = new Float64Array(channels * ot * oh * ow);
  for (let c = 0; c < channels; c++)
    for (let a = 0; a < ot; a++)
      for (let b = 0; b < oh; b++)
        for (let d = 0; d < ow; d++) {
          let m = -Infinity;
          for (let i = 0; i < kt; i++)
            for (let j = 0; j < kh; j++)
              for (let k = 0; k < kw; k++) {
                const v = x[c * t * h * w + ((a * kt + i) * h + b * kh + j) * w + d * kw + k];
                m = Number.isNaN(v) || v > m ? v : m;
              }
          out[c * ot * oh * ow + (a * oh + b) * ow + d] = m;
        }
  return out;
}

/**
 * reference.nonLocalBlock: same contract as nonLocalBlock(), computed in plain TypeScript.
 * @example const z = reference.nonLocalBlock(x, weights);
 */
export function nonLocalBlock(x: Tensor, weights: NonLocalWeights, options?: NonLocalBlockOptions): Tensor {
  const p = resolveBlock(x, weights, options);
  refuseSignal(options, 'nonLocalBlockAsync');
  const w: NonLocalWeights = p.weights;
  const C = p.channels;
  const Ci = p.inter;
  const N = p.t * p.h * p.w;
  const grid = [p.t, p.h, p.w];
  const kernel = [p.poolT, p.poolH, p.poolW];
  const sub = kernel.some((k) => k > 1);
  const pool = (v: Float64Array, ch: number): Float64Array => (sub ? maxPool(v, ch, grid, kernel) : v);
  const out = new Float32Array(p.x.data.length);

  for (let b = 0; b < p.batch; b++) {
    const xb = Float64Array.from(p.x.data.subarray(b * C * N, (b + 1) * C * N));
    // θ [dq][N], φ [dq][M], g [Ci][M], channels-first as in PyTorch.
    let theta: Float64Array;
    let phi: Float64Array;
    let g: Float64Array;
    let dq: number;
    if (p.mode === 'gaussian') {
      dq = C;
      theta = xb;
      phi = pool(xb, C);
      g = p.poolBeforeConv ? conv(w.g, pool(xb, C), C, phi.length / C) : pool(conv(w.g, xb, C, N), Ci);
    } else {
      dq = Ci;
      theta = conv(w.theta!, xb, C, N);
      if (p.poolBeforeConv) {
        const xp = pool(xb, C);
        phi = conv(w.phi!, xp, C, xp.length / C);
        g = conv(w.g, xp, C, xp.length / C);
      } else {
        phi = pool(conv(w.phi!, xb, C, N), Ci);
        g = pool(conv(w.g, xb, C, N), Ci);
      }
    }
    const M = g.length / Ci;

    // The N×M affinity, normalised as the mode says.
    const f = new Float64Array(N * M);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < M; j++) {
        let s = 0;
        if (p.mode === 'concatenation') {
          for (let c = 0; c < Ci; c++) s += w.concatProject![c] * theta[c * N + i] + w.concatProject![Ci + c] * phi[c * M + j];
          s = Math.max(0, s);
        } else {
          for (let c = 0; c < dq; c++) s += theta[c * N + i] * phi[c * M + j];
          s *= p.scale;
        }
        f[i * M + j] = s;
      }
      const row = f.subarray(i * M, (i + 1) * M);
      if (p.mode === 'embedded_gaussian' || p.mode === 'gaussian') {
        const max = Math.max(...row);
        let sum = 0;
        for (let j = 0; j < M; j++) sum += row[j] = Math.exp(row[j] - max);
        for (let j = 0; j < M; j++) row[j] /= sum;
      } else {
        for (let j = 0; j < M; j++) row[j] /= M;
      }
    }
    // y [Ci][N] = g · fᵀ ; then W_z y (+ bias), BatchNorm, residual.
    const y = new Float64Array(Ci * N);
    for (let c = 0; c < Ci; c++)
      for (let i = 0; i < N; i++) {
        let s = 0;
        for (let j = 0; j < M; j++) s += f[i * M + j] * g[c * M + j];
        y[c * N + i] = s;
      }
    const wy = conv(w.out, y, Ci, N);
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < N; i++) {
        let v = wy[c * N + i];
        if (w.bn !== null) v = (w.bn.weight[c] * (v - w.bn.runningMean[c])) / Math.sqrt(w.bn.runningVar[c] + w.bn.eps) + w.bn.bias[c];
        out[b * C * N + c * N + i] = xb[c * N + i] + v;
      }
    }
  }
  // Computed into a private array first: options.out may alias a weight array this loop reads.
  if (p.out !== null) p.out.set(out);
  return { data: p.out ?? out, shape: p.x.shape.slice() };
}
