/** The operator's seeded inputs, the same in every contender's process. */
import type { OperatorShape } from './shapes';
import { seededFloats as seeded } from '../lib/core/seeded-random';

export interface AttentionInputs {
  q: { data: Float32Array; shape: number[] };
  k: { data: Float32Array; shape: number[] };
  v: { data: Float32Array; shape: number[] };
  /** 1/√dk, the usual attention scale */
  scale: number;
  /** the masked rows' additive bias [1, H, N, M] */
  bias: { data: Float32Array; shape: number[] } | null;
}

/** q [B, N, H·dk], k [B, M, Hkv·dk], v [B, M, Hkv·dv]: the multi-head layout ORT takes. */
export function attentionInputs(s: OperatorShape): AttentionInputs {
  const { B, N, M, dk, dv } = s;
  const H = s.H ?? 1;
  const Hkv = s.Hkv ?? H;
  return {
    q: { data: seeded(B * N * H * dk, 1), shape: [B, N, H * dk] },
    k: { data: seeded(B * M * Hkv * dk, 2), shape: [B, M, Hkv * dk] },
    v: { data: seeded(B * M * Hkv * dv, 3), shape: [B, M, Hkv * dv] },
    scale: 1 / Math.sqrt(dk),
    bias: s.bias ? { data: seeded(H * N * M, 4, -2, 2), shape: [1, H, N, M] } : null,
  };
}
