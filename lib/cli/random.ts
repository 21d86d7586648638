/** Seeded pseudo-random data for the demo, so every run (and machine) times the same input. */

/**
 * n floats uniform in [-1, 1) from a mulberry32 stream.
 * @example seededFloats(3, 7) // the same three numbers on every run
 */
export function seededFloats(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}
