/** Random NonLocalWeights for property tests (non-trivial: the block is far from the identity). */
import type { Affinity } from '../../lib/core/tensor';
import type { Convention, NonLocalWeights } from '../../lib/block/weights';
import { randomFloats } from './oracle';

export interface WeightSpec {
  C: number;
  Ci: number;
  mode: Affinity;
  bn: boolean;
  outBias: boolean;
  subSample: boolean;
  poolBeforeConv: boolean;
  useScale: boolean;
  convention?: Convention;
  dims?: 1 | 2 | 3 | null;
  seed: number;
}

export function randomWeights(s: WeightSpec): NonLocalWeights {
  let seed = s.seed;
  const r = (n: number, lo = -0.5, hi = 0.5): Float32Array => randomFloats(n, (seed += 11), lo, hi);
  const conv = (o: number, i: number, bias = true) => ({ weight: r(o * i), bias: bias ? r(o) : null });
  const projections = s.mode !== 'gaussian';
  return {
    convention: s.convention ?? 'mmcv',
    inChannels: s.C,
    interChannels: s.Ci,
    dims: s.dims ?? null,
    theta: projections ? conv(s.Ci, s.C) : null,
    phi: projections ? conv(s.Ci, s.C) : null,
    g: conv(s.Ci, s.C),
    out: conv(s.C, s.Ci, s.outBias),
    bn: s.bn ? { weight: r(s.C, 0.5, 1.5), bias: r(s.C), runningMean: r(s.C), runningVar: r(s.C, 0.5, 2), eps: 1e-5 } : null,
    concatProject: s.mode === 'concatenation' ? r(2 * s.Ci) : null,
    defaults: { mode: s.mode, useScale: s.useScale, subSample: s.subSample, poolBeforeConv: s.poolBeforeConv },
  };
}
