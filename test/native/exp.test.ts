/**
 * The kernels' vectorised exp, measured in ulps against Math.exp (float64, then rounded), on every
 * kernel the CPU supports: the softmax only ever feeds it x ≤ 0, so that range is swept densely.
 */
import { binding } from '../../lib/native/binding';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';

/** Distance in units in the last place between two positive float32 values. */
function ulps(a: number, b: number): number {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
}

function kernelExp(xs: Float32Array): Float32Array {
  return binding().expForTesting(xs, new Float32Array(xs.length));
}

describe.each(SUPPORTED_ISAS)('exp on the %s kernel', (isa) => {
  beforeAll(() => useIsa(isa));
  afterAll(() => restoreIsa());

  test('is within 2 ulp of exp on [ln(FLT_MIN), 0] (200 001 points) and on (0, 80]', () => {
    const xs = Float32Array.from({ length: 200001 }, (_, i) => -87.33 + (87.33 * i) / 200000);
    const positive = Float32Array.from({ length: 8001 }, (_, i) => 0.01 + (80 * i) / 8000);
    let worst = 0;
    for (const set of [xs, positive]) {
      const got = kernelExp(set);
      for (let i = 0; i < set.length; i++) worst = Math.max(worst, ulps(got[i], Math.fround(Math.exp(set[i]))));
    }
    process.stderr.write(`exp(${isa}): worst error ${worst} ulp\n`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  test('special values: exp(0) = 1, exp(−∞) = 0, below ln(FLT_MIN) → 0, NaN → NaN; odd lengths use the tail path', () => {
    const xs = new Float32Array([0, -Infinity, -87.5, -100, -1e30, NaN, -0, 1]);
    const got = kernelExp(xs);
    expect(Array.from(got.subarray(0, 5))).toEqual([1, 0, 0, 0, 0]);
    expect(Number.isNaN(got[5])).toBe(true);
    expect(got[6]).toBe(1);
    expect(ulps(got[7], Math.fround(Math.E))).toBeLessThanOrEqual(1);
    for (let n = 1; n <= 33; n++) {
      const part = kernelExp(new Float32Array(n).fill(-1));
      expect(part.every((y) => ulps(y, Math.fround(Math.exp(-1))) <= 1)).toBe(true);
    }
  });
});

/** The softmax's exp (exp_nonpositive): only ever fed x − max ≤ 0, −∞ or NaN, so only that range. */
function softmaxExp(xs: Float32Array): Float32Array {
  return binding().expForTesting(xs, new Float32Array(xs.length), true);
}

describe.each(SUPPORTED_ISAS)('the softmax exp on the %s kernel', (isa) => {
  beforeAll(() => useIsa(isa));
  afterAll(() => restoreIsa());

  test('is within 2 ulp of exp on [ln(FLT_MIN), 0] (200 001 points and every float in [−1, 0] step 2^-20)', () => {
    const sweep = Float32Array.from({ length: 200001 }, (_, i) => -87.33 + (87.33 * i) / 200000);
    const fine = Float32Array.from({ length: (1 << 20) + 1 }, (_, i) => -i / (1 << 20));
    let worst = 0;
    for (const set of [sweep, fine]) {
      const got = softmaxExp(set);
      for (let i = 0; i < set.length; i++) worst = Math.max(worst, ulps(got[i], Math.fround(Math.exp(set[i]))));
    }
    process.stderr.write(`softmax exp(${isa}): worst error ${worst} ulp\n`);
    expect(worst).toBeLessThanOrEqual(2);
  });

  test('special values: exp(0) = exp(−0) = 1, exp(−∞) = 0, below ln(FLT_MIN) → 0, NaN → NaN; every tail length', () => {
    const got = softmaxExp(new Float32Array([0, -Infinity, -87.5, -100, -1e30, NaN, -0, -1]));
    expect(Array.from(got.subarray(0, 5))).toEqual([1, 0, 0, 0, 0]);
    expect(Number.isNaN(got[5])).toBe(true);
    expect(got[6]).toBe(1);
    expect(ulps(got[7], Math.fround(Math.exp(-1)))).toBeLessThanOrEqual(2);
    for (let n = 1; n <= 33; n++) {
      const part = softmaxExp(new Float32Array(n).fill(-0.5));
      expect(part.every((y) => ulps(y, Math.fround(Math.exp(-0.5))) <= 2)).toBe(true);
    }
  });
});
