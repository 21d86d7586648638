/**
 * lib/core/seeded-random.ts: the package's one generator. The tests' data, the demo's inputs and
 * the benchmark's inputs are these exact sequences — the values below pin them.
 */
import { seededFloats } from '../../lib/core/seeded-random';

/** mulberry32, written out independently: the raw 32-bit outputs. */
function mulberry32(seed: number, n: number): number[] {
  const out: number[] = [];
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push((t ^ (t >>> 14)) >>> 0);
  }
  return out;
}

test('known values (the demo’s and the tests’ inputs depend on them)', () => {
  expect(Array.from(seededFloats(3, 7))).toEqual([-0.9765905141830444, -0.876083493232727, 0.9538152813911438]);
  expect(Array.from(seededFloats(2, 1))).toEqual(Array.from(Float32Array.from(mulberry32(1, 2), (u) => -1 + 2 * (u / 2 ** 32))));
});

test('uniform in [lo, hi): u / 2^32 scaled, rounded to float32', () => {
  const raw = mulberry32(42, 1000);
  const a = seededFloats(1000, 42, 0, 1);
  const b = seededFloats(1000, 42, -2, 2);
  for (let i = 0; i < raw.length; i++) {
    expect(a[i]).toBe(Math.fround(raw[i] / 2 ** 32));
    expect(b[i]).toBe(Math.fround(-2 + 4 * (raw[i] / 2 ** 32)));
  }
  const c = seededFloats(10000, 3);
  expect(Math.min(...c)).toBeGreaterThanOrEqual(-1);
  expect(Math.max(...c)).toBeLessThan(1);
});

test('deterministic per seed, different across seeds; the seed is taken as uint32', () => {
  expect(seededFloats(64, 5)).toEqual(seededFloats(64, 5));
  expect(seededFloats(64, 5)).not.toEqual(seededFloats(64, 6));
  expect(seededFloats(8, -1)).toEqual(seededFloats(8, 2 ** 32 - 1));
  expect(seededFloats(0, 1)).toEqual(new Float32Array(0));
});
