/**
 * The weights of the benchmark's block: a random mmcv-style embedded-Gaussian NonLocal2d with
 * BatchNorm (no bias on the output conv). One function, so the native block, the JS reference and
 * the ONNX Runtime graph (bench/ort/block-graph.ts) are all built from the very same numbers.
 */
import type { NonLocalWeights } from '../lib/block/weights';
import { seededFloats as seeded } from '../lib/core/seeded-random';
import type { BlockShape } from './shapes';

export function blockWeights(s: BlockShape): NonLocalWeights {
  let seed = 10;
  const r = (n: number, lo = -0.05, hi = 0.05): Float32Array => {
    const a = seeded(n, (seed += 1));
    for (let i = 0; i < n; i++) a[i] = lo + ((a[i] + 1) / 2) * (hi - lo);
    return a;
  };
  const conv = (o: number, i: number, bias: boolean) => ({ weight: r(o * i), bias: bias ? r(o) : null });
  return {
    convention: 'mmcv', inChannels: s.C, interChannels: s.Ci, dims: 2,
    theta: conv(s.Ci, s.C, true), phi: conv(s.Ci, s.C, true), g: conv(s.Ci, s.C, true), out: conv(s.C, s.Ci, false),
    bn: { weight: r(s.C, 0.5, 1.5), bias: r(s.C), runningMean: r(s.C), runningVar: r(s.C, 0.5, 2), eps: 1e-5 },
    concatProject: null,
    defaults: { mode: 'embedded_gaussian', useScale: true, subSample: s.subSample, poolBeforeConv: false },
  };
}

/** The block's input x, [B, C, H, W]. */
export function blockInput(s: BlockShape): { data: Float32Array; shape: number[] } {
  return { data: seeded(s.B * s.C * s.H * s.W, 4), shape: [s.B, s.C, s.H, s.W] };
}
