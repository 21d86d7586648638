/** The operator's seeded inputs, the same in every contender's process. */
import type { OperatorShape } from './shapes';
import { seededFloats as seeded } from '../lib/core/seeded-random';

export interface AttentionInputs {
  q: { data: Float32Array; shape: number[] };
  k: { data: Float32Array; shape: number[] };
  v: { data: Float32Array; shape: number[] };
  /** 1/√dk, the usual attention scale */
  scale: number;
}

export function attentionInputs(s: OperatorShape): AttentionInputs {
  const { B, N, M, dk, dv } = s;
  return {
    q: { data: seeded(B * N * dk, 1), shape: [B, N, dk] },
    k: { data: seeded(B * M * dk, 2), shape: [B, M, dk] },
    v: { data: seeded(B * M * dv, 3), shape: [B, M, dv] },
    scale: 1 / Math.sqrt(dk),
  };
}
