/**
 * The package's one seeded pseudo-random generator (mulberry32): the CLI demo's inputs, the
 * benchmark's inputs and the tests' data all come from it, so every run (and machine) computes on
 * the same numbers. Tests compare against values computed from these exact sequences: changing the
 * generator or its arithmetic changes them.
 */

/**
 * n float32 values uniform in [lo, hi) (default [-1, 1)) from a mulberry32 stream seeded with `seed`.
 * @example seededFloats(3, 7) // the same three numbers on every run
 * @example seededFloats(16, 1, 0, 1) // uniform in [0, 1)
 */
export function seededFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}
