/** Small statistics and input helpers shared by the sections. */
import { seededFloats as seeded } from '../../lib/core/seeded-random';

/** The median (the mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The p-th percentile by the nearest-rank method (p99 of 40 values is the largest). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A tensor of the given shape with deterministic inputs in [-1, 1) (bench/seeded.ts). */
export function seededTensor(shape: number[], seed: number): { data: Float32Array; shape: number[] } {
  return { data: seeded(shape.reduce((a, b) => a * b, 1), seed), shape };
}
