/** lib/block/weights.ts: checking a block's weights, folding the BatchNorm, packing for the kernel. */
import { PANEL_COLUMNS, foldOutput, packWeights, validateWeights, type NonLocalWeights } from '../../lib/block/weights';

const f = (...v: number[]): Float32Array => Float32Array.from(v);

/** C = 2, C_inter = 1, every value chosen by hand. */
function tiny(extra: Partial<NonLocalWeights> = {}): NonLocalWeights {
  return {
    convention: 'mmcv',
    inChannels: 2,
    interChannels: 1,
    dims: 2,
    theta: { weight: f(1, 2), bias: f(0.5) },
    phi: { weight: f(3, 4), bias: null },
    g: { weight: f(5, 6), bias: f(-1) },
    out: { weight: f(2, 3), bias: f(1, -1) },
    bn: { weight: f(2, 1), bias: f(0.5, 0), runningMean: f(1, 0), runningVar: f(3, 0), eps: 1 },
    concatProject: f(7, 8),
    defaults: { mode: 'embedded_gaussian', useScale: true, subSample: false, poolBeforeConv: false },
    ...extra,
  };
}

test('validateWeights returns consistent weights as they are', () => {
  const w = tiny();
  expect(validateWeights(w)).toBe(w);
  expect(validateWeights(tiny({ theta: null, phi: null, bn: null, concatProject: null }))).toBeDefined();
});

test.each([
  ['not an object', null, 'weights must be a NonLocalWeights object (see loadNonLocalWeights), got null'],
  ['inChannels', tiny({ inChannels: 0 }), 'weights.inChannels must be a positive integer, got 0'],
  ['g weight length', tiny({ g: { weight: f(1), bias: null } }), 'weights.g.weight must have length 2, got 1'],
  ['g weight type', tiny({ g: { weight: [1, 2] as unknown as Float32Array, bias: null } }), 'weights.g.weight must be a Float32Array of length 2, got Array(2)'],
  ['theta without phi', tiny({ phi: null }), 'weights.theta and weights.phi must both be present or both be null'],
  ['out bias', tiny({ out: { weight: f(2, 3), bias: f(1) } }), 'weights.out.bias must have length 2, got 1'],
  ['bn eps', tiny({ bn: { weight: f(1, 1), bias: f(0, 0), runningMean: f(0, 0), runningVar: f(1, 1), eps: -1 } }), 'weights.bn.eps must be a finite number ≥ 0, got -1'],
  ['concatProject', tiny({ concatProject: f(1, 2, 3) }), 'weights.concatProject must have length 2, got 3'],
])('validateWeights refuses %s', (_, w, message) => {
  expect(() => validateWeights(w)).toThrow(message);
});

test('foldOutput folds the BatchNorm into W_z, in float64', () => {
  // s_c = γ_c / √(σ²_c + ε)
  const w = tiny({ bn: { weight: f(4, 1), bias: f(0.5, 0), runningMean: f(1, 0), runningVar: f(3, 0), eps: 1 } });
  const { weight, bias } = foldOutput(w);
  // s = [4/2, 1/1] = [2, 1]; W' = [2·2, 1·3]; b' = [2·(1 − 1) + 0.5, 1·(−1 − 0) + 0]
  expect(Array.from(weight)).toEqual([4, 3]);
  expect(Array.from(bias)).toEqual([0.5, -1]);
  // without BatchNorm: W_z and its bias as they are (0 for a missing bias)
  const plain = foldOutput(tiny({ bn: null, out: { weight: f(2, 3), bias: null } }));
  expect(Array.from(plain.weight)).toEqual([2, 3]);
  expect(Array.from(plain.bias)).toEqual([0, 0]);
});

test('packWeights: θ|φ|g side by side as column panels, W_z transposed, concat split; cached per object', () => {
  const w = tiny();
  const p = packWeights(w, 'concatenation', false);
  // [in = 2][Σ out = 3] in one 64-column panel: column c of input row i at i·64 + c.
  expect(p.wx.length).toBe(2 * PANEL_COLUMNS);
  expect([p.wx[0], p.wx[1], p.wx[2], p.wx[PANEL_COLUMNS], p.wx[PANEL_COLUMNS + 1], p.wx[PANEL_COLUMNS + 2]]).toEqual([1, 3, 5, 2, 4, 6]);
  expect(p.wx[3]).toBe(0); // padding columns are zero
  expect(Array.from(p.bx)).toEqual([0.5, 0, -1]);
  // W_z folded (s = [2/2, 1/1] = [1, 1] here) and transposed to [C_inter][C]; its bias folded
  expect(Array.from(p.outWt)).toEqual([2, 3]);
  expect(Array.from(p.outB)).toEqual([0.5, -1]);
  expect(p.wp).toBeNull();
  expect(Array.from(p.concatTheta!)).toEqual([7]);
  expect(Array.from(p.concatPhi!)).toEqual([8]);
  expect(packWeights(w, 'concatenation', false)).toBe(p);
  // the gaussian mode packs g alone; pooling before the convolutions moves φ and g to the pooled side
  expect(packWeights(w, 'gaussian', false).bx.length).toBe(1);
  const pooled = packWeights(w, 'dot_product', true);
  expect(Array.from(pooled.bx)).toEqual([0.5]);
  expect(Array.from(pooled.bp!)).toEqual([0, -1]);
  expect(pooled.concatTheta).toBeNull();
});
