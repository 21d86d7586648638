/**
 * The tensor type every function takes and returns: row-major, contiguous float32 data plus its
 * shape. Any object with these two fields works — no class to construct.
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * The paper's four pairwise functions f(x_i, x_j) — the one list of affinity names (attention's
 * `affinity`, the block's `mode`, the weights' defaults, the CLI and the tests all use it).
 */
export const AFFINITIES = ['embedded_gaussian', 'gaussian', 'dot_product', 'concatenation'] as const;

export type Affinity = (typeof AFFINITIES)[number];

/** True for one of AFFINITIES. */
export function isAffinity(value: unknown): value is Affinity {
  return typeof value === 'string' && (AFFINITIES as readonly string[]).includes(value);
}

/** `[2, 3, 4]` — the form every error message uses for shapes. */
export function formatShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => String(d)).join(', ')}]`;
}

/**
 * The element count of a shape of non-negative safe integers: 0 when a dimension is 0, Infinity
 * when the product is not exactly representable (so it never equals a real length or byte span).
 */
export function exactElementCount(shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const d of shape) {
    // Compared before multiplying so the product never leaves the exact-integer range.
    if (count > Number.MAX_SAFE_INTEGER / d) return Number.POSITIVE_INFINITY;
    count *= d;
  }
  return count;
}

/** Product of the dimensions (1 for a rank-0 shape). Callers validate dims first. */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}
