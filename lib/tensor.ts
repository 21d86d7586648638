/**
 * The tensor type every function takes and returns: row-major, contiguous float32 data plus its
 * shape. Any object with these two fields works — no class to construct.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** The paper's four pairwise functions f(x_i, x_j). */
export type Affinity = 'embedded_gaussian' | 'gaussian' | 'dot_product' | 'concatenation';

export const AFFINITIES: readonly Affinity[] = [
  'embedded_gaussian',
  'gaussian',
  'dot_product',
  'concatenation',
];

/** `[2, 3, 4]` — the form every error message uses for shapes. */
export function formatShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

/** Product of the dimensions (1 for a rank-0 shape). Callers validate dims first. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}
