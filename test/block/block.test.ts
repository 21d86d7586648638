/**
 * The native non-local block against reference.nonLocalBlock (float64, separate convolutions,
 * explicit BatchNorm, materialised affinity) on random sizes, on every kernel the CPU supports.
 */
import fc from 'fast-check';

import { nonLocalBlock, nonLocalBlockAsync } from '../../lib/block/block';
import type { NonLocalBlockOptions } from '../../lib/block/block-args';
import { nonLocalBlock as referenceBlock } from '../../lib/reference/block';
import { AFFINITIES, type Affinity } from '../../lib/core/tensor';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { randomFloats, relativeError } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

const MODES = AFFINITIES;

const blockCase = fc.record({
  mode: fc.constantFrom(...MODES),
  rank: fc.constantFrom(3, 4, 5),
  B: fc.integer({ min: 1, max: 3 }),
  C: fc.integer({ min: 1, max: 24 }),
  Ci: fc.integer({ min: 1, max: 20 }),
  extent: fc.array(fc.integer({ min: 2, max: 9 }), { minLength: 3, maxLength: 3 }),
  order: fc.constantFrom('none', 'after', 'before'),
  bn: fc.boolean(),
  outBias: fc.boolean(),
  useScale: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

type BlockCase = typeof blockCase extends fc.Arbitrary<infer T> ? T : never;

function build(c: BlockCase) {
  const spatial = c.rank === 3 ? [c.extent[0] * 2] : c.rank === 4 ? c.extent.slice(0, 2) : [Math.min(c.extent[0], 3), ...c.extent.slice(1)];
  const shape = [c.B, c.C, ...spatial];
  const x = { data: randomFloats(shape.reduce((a, b) => a * b, 1), c.seed, -2, 2), shape };
  const weights = randomWeights({
    C: c.C, Ci: c.Ci, mode: c.mode, bn: c.bn, outBias: c.outBias, useScale: c.useScale,
    subSample: c.order !== 'none', poolBeforeConv: c.order === 'before', seed: c.seed + 1,
  });
  return { x, weights };
}

describe.each(SUPPORTED_ISAS)('nonLocalBlock on the %s kernel', (isa) => {
  beforeAll(() => useIsa(isa));
  afterAll(() => restoreIsa());

  test('matches reference.nonLocalBlock for every mode, 1D/2D/3D, sub-sampling order, BN or bias, B > 1', () => {
    fc.assert(
      fc.property(blockCase, (c) => {
        const { x, weights } = build(c);
        const z = nonLocalBlock(x, weights);
        expect(z.shape).toEqual(x.shape);
        const want = referenceBlock(x, weights);
        expect(relativeError(z.data, want.data)).toBeLessThanOrEqual(2e-5);
      }),
      { numRuns: 120, seed: 7 },
    );
  });
});

describe('nonLocalBlock', () => {
  test('larger shapes: C = 64, Ci = 32, 2-D 23×17 with sub-sampling, and 3-D 4×9×10 in Caffe2 order', () => {
    for (const [shape, order] of [[[2, 64, 23, 17], 'after'], [[1, 64, 4, 9, 10], 'before']] as const) {
      const x = { data: randomFloats(shape.reduce((a: number, b: number) => a * b, 1), 3), shape: [...shape] };
      for (const mode of MODES) {
        const w = randomWeights({ C: 64, Ci: 32, mode, bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: order === 'before', seed: 11 });
        expect(relativeError(nonLocalBlock(x, w).data, referenceBlock(x, w).data)).toBeLessThanOrEqual(2e-5);
      }
    }
  });

  test('reduction 1 (C_inter = C, no norm, no scale: Libra R-CNN) and C_inter = 1', () => {
    const x = { data: randomFloats(2 * 8 * 6 * 7, 4), shape: [2, 8, 6, 7] };
    const libra = randomWeights({ C: 8, Ci: 8, mode: 'embedded_gaussian', bn: false, outBias: true, useScale: false, subSample: false, poolBeforeConv: false, seed: 5 });
    const tiny = randomWeights({ C: 8, Ci: 1, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, seed: 6 });
    for (const w of [libra, tiny]) expect(relativeError(nonLocalBlock(x, w).data, referenceBlock(x, w).data)).toBeLessThanOrEqual(2e-5);
  });

  test('options override the checkpoint defaults (mode, useScale, subSample)', () => {
    const x = { data: randomFloats(1 * 6 * 8 * 8, 8), shape: [1, 6, 8, 8] };
    const w = randomWeights({ C: 6, Ci: 3, mode: 'concatenation', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, seed: 9 });
    const pairs: [NonLocalBlockOptions, NonLocalBlockOptions][] = [
      [{ mode: 'dot_product' }, {}],
      [{ mode: 'embedded_gaussian', useScale: false }, { mode: 'embedded_gaussian' }],
      [{ subSample: false }, {}],
      [{ mode: 'gaussian', subSample: false }, { mode: 'gaussian' }],
    ];
    for (const [options, baseline] of pairs) {
      const z = nonLocalBlock(x, w, options).data;
      expect(relativeError(z, referenceBlock(x, w, options).data)).toBeLessThanOrEqual(2e-5);
      expect(relativeError(z, nonLocalBlock(x, w, baseline).data)).toBeGreaterThan(1e-4); // the option really changed something
    }
  });

  test('the input is never written, async equals sync bit for bit, and the thread count changes no bit', async () => {
    const x = { data: randomFloats(2 * 16 * 12 * 10, 12), shape: [2, 16, 12, 10] };
    const before = x.data.slice();
    const w = randomWeights({ C: 16, Ci: 8, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, seed: 13 });
    const one = nonLocalBlock(x, w, { threads: 1 }).data;
    expect(x.data).toEqual(before);
    expect(nonLocalBlock(x, w, { threads: 2 }).data).toEqual(one);
    expect(nonLocalBlock(x, w, { threads: 3 }).data).toEqual(one);
    expect((await nonLocalBlockAsync(x, w, { threads: 2 })).data).toEqual(one);
  });
});

describe('options.out', () => {
  const c: BlockCase = { mode: 'embedded_gaussian', rank: 4, B: 2, C: 12, Ci: 6, extent: [6, 7, 3], order: 'after', bn: true, outBias: false, useScale: true, seed: 77 };
  const { x, weights } = build(c);

  test('sync: the result is written into out, which is returned, equal to a fresh call', () => {
    const fresh = nonLocalBlock(x, weights);
    const out = new Float32Array(x.data.length).fill(NaN);
    const z = nonLocalBlock(x, weights, { out });
    expect(z.data).toBe(out);
    expect(z.shape).toEqual(x.shape);
    expect(out).toEqual(fresh.data);
    // Reused: a second call overwrites every element.
    out.fill(-1);
    nonLocalBlock(x, weights, { out });
    expect(out).toEqual(fresh.data);
  });

  test('async: out receives the result when the promise settles', async () => {
    const fresh = nonLocalBlock(x, weights);
    const out = new Float32Array(x.data.length).fill(NaN);
    const z = await nonLocalBlockAsync(x, weights, { out });
    expect(z.data).toBe(out);
    expect(out).toEqual(fresh.data);
  });

  test('async: an aborted call leaves out untouched', async () => {
    const out = new Float32Array(x.data.length).fill(7);
    const controller = new AbortController();
    controller.abort();
    await expect(nonLocalBlockAsync(x, weights, { out, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(out.every((v) => v === 7)).toBe(true);
  });

  test('reference.nonLocalBlock honours out too, even when out aliases a weight array', () => {
    const want = referenceBlock(x, weights);
    const out = new Float32Array(x.data.length);
    expect(referenceBlock(x, weights, { out }).data).toBe(out);
    expect(out).toEqual(want.data);
    // out is the (long enough) backing store of θ's weight: the reference must not read its own writes.
    const big = new Float32Array(x.data.length + weights.theta!.weight.length);
    big.set(weights.theta!.weight);
    const aliased = { ...weights, theta: { ...weights.theta!, weight: big.subarray(0, weights.theta!.weight.length) } };
    const result = referenceBlock(x, aliased, { out: big.subarray(0, x.data.length) });
    expect(relativeError(result.data, Float64Array.from(want.data))).toBeLessThanOrEqual(1e-6);
  });
});
