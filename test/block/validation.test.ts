/** One test per validation branch of nonLocalBlock(): TypeError/RangeError naming the argument. */
import { nonLocalBlock, nonLocalBlockAsync } from '../../lib/block/block';
import type { NonLocalWeights } from '../../lib/block/weights';
import { binding } from '../../lib/native/binding';
import { randomWeights } from '../support/random-weights';

const w = randomWeights({ C: 4, Ci: 2, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, dims: 2, seed: 1 });
const gaussianW = randomWeights({ C: 4, Ci: 2, mode: 'gaussian', bn: false, outBias: true, useScale: true, subSample: false, poolBeforeConv: false, seed: 2 });
const x = { data: new Float32Array(2 * 4 * 6 * 6).fill(0.5), shape: [2, 4, 6, 6] };
const with_ = (over: Partial<NonLocalWeights>): NonLocalWeights => ({ ...w, ...over }) as NonLocalWeights;

const cases: [string, () => unknown[], string, RegExp][] = [
  ['x not a tensor', () => [new Float32Array(4), w], 'TypeError', /^x must be a tensor/],
  ['x rank 2', () => [{ data: new Float32Array(8), shape: [2, 4] }, { ...w, dims: null }], 'RangeError', /^x must be \[B, C, L\] \(NonLocal1d\), \[B, C, H, W\] \(NonLocal2d\), \[B, C, T, H, W\] \(NonLocal3d\); got shape \[2, 4\]$/],
  ['x rank does not match the weights', () => [{ data: new Float32Array(32), shape: [2, 4, 4] }, w], 'RangeError', /^the weights are for NonLocal2d, whose input is \[B, C, H, W\] \(NonLocal2d\), but x has shape \[2, 4, 4\]$/],
  ['channels differ', () => [{ data: new Float32Array(2 * 3 * 36), shape: [2, 3, 6, 6] }, w], 'RangeError', /^x\.shape\[1\] must equal the weights' in-channels C = 4; got x \[2, 3, 6, 6\]$/],
  ['too small to sub-sample', () => [{ data: new Float32Array(2 * 4 * 6), shape: [2, 4, 1, 6] }, w], 'RangeError', /^x's spatial shape \[1, 6\] is too small to sub-sample by \[2, 2\]; pass \{ subSample: false \}$/],
  ['weights not an object', () => [x, null], 'TypeError', /^weights must be a NonLocalWeights object/],
  ['weights.inChannels bad', () => [x, with_({ inChannels: 0 })], 'RangeError', /^weights\.inChannels must be a positive integer, got 0$/],
  ['weights.g.weight wrong length', () => [x, with_({ g: { weight: new Float32Array(7), bias: null } })], 'RangeError', /^weights\.g\.weight must have length 8, got 7$/],
  ['weights.theta without phi', () => [x, with_({ phi: null })], 'RangeError', /^weights\.theta and weights\.phi must both be present or both be null$/],
  ['weights.out.bias a plain array', () => [x, with_({ out: { weight: new Float32Array(8), bias: [1, 2, 3, 4] as unknown as Float32Array } })], 'TypeError', /^weights\.out\.bias must be a Float32Array of length 4, got Array\(4\)$/],
  ['weights.bn.eps negative', () => [x, with_({ bn: { ...w.bn!, eps: -1 } })], 'RangeError', /^weights\.bn\.eps must be a finite number ≥ 0, got -1$/],
  ['unknown option', () => [x, w, { sub_sample: true }], 'TypeError', /^options\.sub_sample is not an option \(did you mean 'subSample'\?\)/],
  ['bad mode', () => [x, w, { mode: 'softmax' }], 'TypeError', /^options\.mode must be one of 'embedded_gaussian', 'gaussian', 'dot_product', 'concatenation', got string "softmax"$/],
  ['mode needs θ/φ the weights lack', () => [{ data: x.data, shape: x.shape }, gaussianW, { mode: 'dot_product' }], 'RangeError', /^options\.mode 'dot_product' needs θ and φ projections, but these weights have none/],
  ['concatenation without concat_project', () => [x, w, { mode: 'concatenation' }], 'RangeError', /^options\.mode 'concatenation' needs the concat_project weight/],
  ['useScale not boolean', () => [x, w, { useScale: 1 }], 'TypeError', /^options\.useScale must be a boolean, got number 1$/],
  ['subSample not boolean', () => [x, w, { subSample: 'yes' }], 'TypeError', /^options\.subSample must be a boolean, got string "yes"$/],
  ['threads bad', () => [x, w, { threads: 0 }], 'RangeError', /^options\.threads must be an integer from 1 to 1024, got 0$/],
  ['out a plain array', () => [x, w, { out: new Array(288).fill(0) }], 'TypeError', /^options\.out must be a Float32Array of length 288 \(the output has x's shape \[2, 4, 6, 6\]\), got Array\(288\)$/],
  ['out a Float64Array', () => [x, w, { out: new Float64Array(288) }], 'TypeError', /^options\.out must be a Float32Array of length 288/],
  ['out too short', () => [x, w, { out: new Float32Array(287) }], 'RangeError', /^options\.out has 287 elements but the output \[2, 4, 6, 6\] needs 288$/],
  ['out is x', () => [x, w, { out: x.data }], 'RangeError', /^options\.out must not share memory with x$/],
  ['out overlaps x', () => {
    const buffer = new Float32Array(400);
    return [{ data: buffer.subarray(0, 288), shape: x.shape }, w, { out: buffer.subarray(100, 388) }];
  }, 'RangeError', /^options\.out must not share memory with x$/],
];

describe('nonLocalBlock() validation', () => {
  test.each(cases)('%s', (_label, args, name, message) => {
    expect(() => (nonLocalBlock as (...a: unknown[]) => unknown)(...args())).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
  test.each(cases)('async: %s rejects', async (_label, args, name, message) => {
    await expect((nonLocalBlockAsync as (...a: unknown[]) => Promise<unknown>)(...args())).rejects.toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});

describe('the native block defends itself', () => {
  const good = () => ({
    batch: 1, channels: 2, inter: 1, t: 1, h: 2, w: 2, poolT: 1, poolH: 1, poolW: 1, poolBeforeConv: false, affinity: 0, scale: 1,
    // wx: C = 2 rows × one 64-column panel (the native block takes it as column panels)
    wx: new Float32Array(128), bx: new Float32Array(3), wp: null, bp: null, outWt: new Float32Array(2), outB: new Float32Array(2),
    concatTheta: null, concatPhi: null, threads: 1,
  });
  const run = (xArr: unknown, out: unknown, d: object) => (binding().nonLocalBlock as (...a: unknown[]) => unknown)(xArr, out, d);
  const cases2: [string, () => unknown[], RegExp][] = [
    ['x a Float64Array', () => [new Float64Array(8), new Float32Array(8), good()], /^x must be a Float32Array$/],
    ['x too short', () => [new Float32Array(7), new Float32Array(8), good()], /^x has 7 elements but its shape \[B=1, C=2, N=4\] needs 8$/],
    ['out aliasing x', () => { const a = new Float32Array(8); return [a, a, good()]; }, /^out must not share memory with x or the weights$/],
    ['wx wrong length', () => [new Float32Array(8), new Float32Array(8), { ...good(), wx: new Float32Array(6) }], /^descriptor\.wx has 6 elements but its shape \[128\] needs 128$/],
    ['pool of 3', () => [new Float32Array(8), new Float32Array(8), { ...good(), poolW: 3 }], /^descriptor\.poolW must be an integer in \[1, 2\]/],
    ['pool leaves nothing', () => [new Float32Array(4), new Float32Array(4), { ...good(), h: 1, w: 2, poolH: 2 }], /^sub-sampling \[1, 1, 2\] by \[1, 2, 1\] leaves no key positions$/],
    ['pool-before without a pool', () => [new Float32Array(8), new Float32Array(8), { ...good(), poolBeforeConv: true }], /^descriptor\.poolBeforeConv needs a pooling kernel$/],
    ['concat weights missing', () => [new Float32Array(8), new Float32Array(8), { ...good(), affinity: 3 }], /^descriptor\.concatTheta must be a Float32Array$/],
  ];
  test.each(cases2)('%s', (_label, args, message) => {
    expect(() => run(...(args() as [unknown, unknown, object]))).toThrow(message);
  });
});
