/**
 * The cross-check every contender passes before it is timed: a probe of its output, compared with
 * the first contender's (native, all threads) to 1e-4 relative.
 */
import type { BlockShape, OperatorShape } from './shapes';

/** Operator: output rows 0, N/2 and N−1 (all H·dv columns) of the first batch. */
export function operatorProbe(s: OperatorShape, y: Float32Array): number[] {
  const width = (s.H ?? 1) * s.dv;
  return [0, s.N >> 1, s.N - 1].flatMap((i) => Array.from(y.subarray(i * width, (i + 1) * width)));
}

/**
 * Block: z − x at positions 0, N/2 and N−1, every channel. Subtracting the residual makes the
 * check see the non-local term itself (W_z·y through the BatchNorm), not x, which would otherwise
 * dominate the tolerance.
 */
export function blockProbe(s: BlockShape, x: Float32Array, z: Float32Array): number[] {
  const N = s.H * s.W;
  const probe: number[] = [];
  for (const p of [0, N >> 1, N - 1]) for (let c = 0; c < s.C; c++) probe.push(z[c * N + p] - x[c * N + p]);
  return probe;
}

/** Max abs difference ≤ 1e-4 × the reference probe's largest magnitude. */
export function agrees(probe: number[], reference: number[]): { ok: boolean; relativeError: number } {
  if (probe.length !== reference.length) return { ok: false, relativeError: Infinity };
  let scale = 0;
  let err = 0;
  for (let i = 0; i < probe.length; i++) {
    scale = Math.max(scale, Math.abs(reference[i]));
    err = Number.isNaN(probe[i]) ? Infinity : Math.max(err, Math.abs(probe[i] - reference[i]));
  }
  const relativeError = err / Math.max(scale, 1e-30);
  return { ok: relativeError <= 1e-4, relativeError };
}
