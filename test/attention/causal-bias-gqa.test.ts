/**
 * Causal masks (both alignments), additive attention bias (every broadcast pattern, −∞ rows and
 * columns) and grouped-query heads, alone and combined with key padding masks: the native operator
 * on every kernel and reference.attention against the float64 oracle; then the properties — causal
 * equals the same call with the equivalent −∞ bias, GQA equals the call with K/V heads repeated by
 * hand, results identical across thread counts and sync/async — and the rows that see no key.
 */
import { attention, attentionAsync } from '../../lib/attention/attention';
import { affinityMap } from '../../lib/attention/affinity-map';
import { attention as referenceAttention } from '../../lib/reference/attention';
import { AFFINITIES, type Affinity, type Tensor } from '../../lib/core/tensor';
import type { AttentionOptions } from '../../lib/attention/args';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { oracleAttention, randomFloats, relativeError, toHeadsLast, type OracleCase } from '../support/oracle';

const TOLERANCE = 2e-5;
type Causal = 'upper-left' | 'lower-right' | undefined;
type BiasPattern = 'none' | '[N,M]' | '[1,1,N,M]' | '[B,1,N,M]' | '[1,H,N,M]' | '[B,H,N,M]';

let seed = 5000;
interface Spec { B: number; H: number; Hkv: number; N: number; M: number; dk: number; dv: number; affinity: Affinity; causal?: Causal; bias?: BiasPattern; mask?: boolean; infinities?: boolean }

function makeCase(s: Spec): OracleCase {
  seed += 11;
  const { B, H, Hkv, N, M, dk, dv, affinity } = s;
  const c: OracleCase = {
    B, H, Hkv, N, M, dk, dv, affinity, causal: s.causal,
    q: randomFloats(B * H * N * dk, seed),
    k: randomFloats(B * Hkv * M * dk, seed + 1),
    v: randomFloats(B * Hkv * M * dv, seed + 2),
    scale: affinity === 'concatenation' ? 1 : 0.6,
    wq: affinity === 'concatenation' ? randomFloats(dk, seed + 3) : undefined,
    wk: affinity === 'concatenation' ? randomFloats(dk, seed + 4) : undefined,
  };
  if (s.mask) {
    const mask = new Uint8Array(B * M);
    const r = randomFloats(B * M, seed + 5, 0, 1);
    for (let j = 0; j < mask.length; j++) mask[j] = r[j] < 0.7 ? 1 : 0;
    c.mask = mask;
  }
  if (s.bias !== undefined && s.bias !== 'none') {
    const Bb = s.bias.startsWith('[B') ? B : 1;
    const Hb = s.bias.includes('H') ? H : 1;
    const data = randomFloats(Bb * Hb * N * M, seed + 6, -2, 2);
    if (s.infinities) {
      // A whole −∞ row (query 1 sees nothing), a −∞ column (key 2 hidden from all), scattered −∞.
      for (let r = 0; r < Bb * Hb; r++) {
        for (let j = 0; j < M; j++) if (N > 1) data[(r * N + 1) * M + j] = -Infinity;
        for (let i = 0; i < N; i++) if (M > 2) data[(r * N + i) * M + 2] = -Infinity;
      }
      for (let x = 0; x < data.length; x += 7) data[x] = -Infinity;
    }
    c.bias = { data, Bb, Hb };
  }
  return c;
}

/** The case's arguments through the public API in the rank-4 layout [B, H, N, d] (K/V [B, Hkv, M, d]). */
function args(c: OracleCase, threads = 2): [Tensor, Tensor, Tensor, AttentionOptions] {
  const Hkv = c.Hkv ?? c.H;
  const options: AttentionOptions = {
    affinity: c.affinity, scale: c.scale, keyPaddingMask: c.mask, threads,
    concatWeights: c.wq ? { query: c.wq, key: c.wk! } : undefined,
  };
  if (c.causal !== undefined) options.causal = c.causal;
  if (c.bias !== undefined) options.attentionBias = { data: c.bias.data, shape: [c.bias.Bb, c.bias.Hb, c.N, c.M] };
  return [
    { data: c.q, shape: [c.B, c.H, c.N, c.dk] },
    { data: c.k, shape: [c.B, Hkv, c.M, c.dk] },
    { data: c.v, shape: [c.B, Hkv, c.M, c.dv] },
    options,
  ];
}

/** A spread of shapes: N ≠ M both ways, tails of every vector width, several query and key blocks. */
const SHAPES: [number, number][] = [[37, 53], [53, 37], [1, 17], [17, 1], [130, 129], [200, 333], [333, 200], [64, 64]];

function specs(): Spec[] {
  const out: Spec[] = [];
  const biasPatterns: BiasPattern[] = ['[N,M]', '[1,1,N,M]', '[B,1,N,M]', '[1,H,N,M]', '[B,H,N,M]'];
  let n = 0;
  for (const [N, M] of SHAPES) {
    for (const causal of [undefined, 'upper-left', 'lower-right'] as Causal[]) {
      for (const Hkv of [1, 2, 4]) {
        n++;
        const affinity = AFFINITIES[n % 4];
        const softmax = affinity === 'embedded_gaussian' || affinity === 'gaussian';
        const bias = softmax ? biasPatterns[n % biasPatterns.length] : 'none';
        out.push({ B: 2, H: 4, Hkv, N, M, dk: 8 + (n % 9), dv: 5 + ((3 * n) % 19), affinity, causal, bias, mask: n % 3 === 0, infinities: n % 2 === 0 });
      }
    }
  }
  return out;
}

const label = (s: Spec) => `${s.affinity} N=${s.N} M=${s.M} dk=${s.dk} dv=${s.dv} Hkv=${s.Hkv} causal=${s.causal ?? 'no'} bias=${s.bias}${s.infinities ? ' (−∞)' : ''}${s.mask ? ' +mask' : ''}`;
const CASES = specs();
/** Each sweep case and its float64 answer, made once and shared by every kernel's run. */
let prepared: { spec: Spec; c: OracleCase; want: Float64Array }[] | null = null;
function sweepCases(): { spec: Spec; c: OracleCase; want: Float64Array }[] {
  prepared ??= CASES.map((spec) => {
    const c = makeCase(spec);
    return { spec, c, want: oracleAttention(c) };
  });
  return prepared;
}

describe.each(SUPPORTED_ISAS)('on the %s kernel', (isa) => {
  beforeAll(() => useIsa(isa));
  afterAll(() => restoreIsa());

  test(`${CASES.length} combinations of causal, bias, GQA and masks match float64 within ${TOLERANCE}`, () => {
    let worst = 0;
    for (const { spec: s, c, want } of sweepCases()) {
      const err = relativeError(attention(...args(c)).data, want);
      if (!(err <= TOLERANCE)) throw new Error(`${label(s)}: relative error ${err}`);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  test('causal equals the same call with the equivalent −∞ bias', () => {
    for (const [N, M] of SHAPES) {
      for (const causal of ['upper-left', 'lower-right'] as const) {
        const c = makeCase({ B: 1, H: 2, Hkv: 2, N, M, dk: 16, dv: 24, affinity: 'embedded_gaussian' });
        const bias = new Float32Array(N * M);
        const offset = causal === 'upper-left' ? 0 : M - N;
        for (let i = 0; i < N; i++) for (let j = 0; j < M; j++) bias[i * M + j] = j <= i + offset ? 0 : -Infinity;
        const [q, k, v, o] = args(c);
        const masked = attention(q, k, v, { ...o, causal });
        const biased = attention(q, k, v, { ...o, attentionBias: { data: bias, shape: [N, M] } });
        expect(relativeError(masked.data, biased.data)).toBeLessThanOrEqual(TOLERANCE);
      }
    }
  });

  test('GQA equals the call with the K/V heads repeated by hand, bit for bit', () => {
    for (const [H, Hkv] of [[4, 1], [4, 2], [6, 3], [8, 8]]) {
      const c = makeCase({ B: 2, H, Hkv, N: 45, M: 70, dk: 12, dv: 20, affinity: 'embedded_gaussian', causal: 'lower-right', bias: '[1,H,N,M]', mask: true });
      const [q, k, v, o] = args(c);
      const repeat = (t: Tensor, d: number): Tensor => {
        const out = new Float32Array(2 * H * 70 * d);
        for (let b = 0; b < 2; b++)
          for (let h = 0; h < H; h++) out.set(t.data.subarray((b * Hkv + Math.floor(h / (H / Hkv))) * 70 * d, (b * Hkv + Math.floor(h / (H / Hkv)) + 1) * 70 * d), (b * H + h) * 70 * d);
        return { data: out, shape: [2, H, 70, d] };
      };
      const grouped = attention(q, k, v, o);
      const repeated = attention(q, repeat(k, 12), repeat(v, 20), o);
      expect(Buffer.from(grouped.data.buffer).equals(Buffer.from(repeated.data.buffer))).toBe(true);
    }
  });

  test('bitwise identical for 1, 2 and 3 threads and between attention and attentionAsync', async () => {
    for (const { c } of sweepCases().filter((_, i) => i % 5 === 0)) {
      const one = attention(...args(c, 1)).data;
      for (const threads of [2, 3]) expect(Buffer.from(attention(...args(c, threads)).data.buffer).equals(Buffer.from(one.buffer))).toBe(true);
      const async = await attentionAsync(...args(c, 2));
      expect(Buffer.from(async.data.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    }
  });

  test('a query that sees no key gets zeros, never NaN: lower-right with N > M, a −∞ bias row, a padding mask', () => {
    // Lower-right, N = 40 > M = 25: queries 0 … 14 see no key (j ≤ i − 15).
    const c = makeCase({ B: 1, H: 1, Hkv: 1, N: 40, M: 25, dk: 8, dv: 8, affinity: 'gaussian', causal: 'lower-right' });
    const y = attention(...args(c)).data;
    expect(Array.from(y.subarray(0, 15 * 8))).toEqual(new Array(15 * 8).fill(0));
    expect(y.subarray(15 * 8).every((x) => Number.isFinite(x) && x !== 0)).toBe(true);
    for (const affinity of ['dot_product', 'concatenation'] as const) {
      const d = makeCase({ B: 1, H: 1, Hkv: 1, N: 40, M: 25, dk: 8, dv: 8, affinity, causal: 'lower-right' });
      expect(Array.from(attention(...args(d)).data.subarray(0, 15 * 8))).toEqual(new Array(15 * 8).fill(0));
      expect(relativeError(attention(...args(d)).data, oracleAttention(d))).toBeLessThanOrEqual(TOLERANCE);
    }
    // A bias row of −∞ (query 3) gives a zero row; the others are untouched.
    const e = makeCase({ B: 1, H: 1, Hkv: 1, N: 9, M: 30, dk: 8, dv: 4, affinity: 'embedded_gaussian', bias: '[N,M]' });
    e.bias!.data.fill(-Infinity, 3 * 30, 4 * 30);
    const ye = attention(...args(e)).data;
    expect(Array.from(ye.subarray(12, 16))).toEqual([0, 0, 0, 0]);
    expect(ye.every((x) => !Number.isNaN(x))).toBe(true);
    expect(relativeError(ye, oracleAttention(e))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('NaN in the bias makes that row NaN (as NaN in the data does), and only that row', () => {
    const c = makeCase({ B: 1, H: 1, Hkv: 1, N: 9, M: 30, dk: 8, dv: 4, affinity: 'embedded_gaussian', bias: '[N,M]' });
    c.bias!.data[5 * 30 + 17] = NaN;
    const y = attention(...args(c)).data;
    for (let i = 0; i < 9; i++) expect(y.subarray(i * 4, i * 4 + 4).every((x) => Number.isNaN(x) === (i === 5))).toBe(true);
  });

  test('keys no query may see are never read: NaN there does not reach the output', () => {
    for (const affinity of AFFINITIES) {
      // Upper-left with M > N: keys j ≥ N are outside every query's view; NaN in their K and V rows.
      const c = makeCase({ B: 1, H: 2, Hkv: 1, N: 70, M: 300, dk: 8, dv: 8, affinity, causal: 'upper-left' });
      c.k.fill(NaN, 70 * 8);
      c.v.fill(NaN, 70 * 8);
      const y = attention(...args(c)).data;
      expect(y.every(Number.isFinite)).toBe(true);
      const clean = { ...c, k: c.k.map((x) => (Number.isNaN(x) ? 0 : x)), v: c.v.map((x) => (Number.isNaN(x) ? 0 : x)) };
      expect(relativeError(y, oracleAttention(clean))).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});

describe('reference.attention and affinityMap', () => {
  test.each(AFFINITIES)('%s: reference.attention matches float64 over the sweep', (affinity) => {
    for (const { c, want } of sweepCases().filter((x) => x.spec.affinity === affinity)) {
      expect(relativeError(referenceAttention(...args(c)).data, want)).toBeLessThanOrEqual(1e-6);
    }
  });

  test('rank 3: heads + kvHeads address the same heads as rank 4', () => {
    const c = makeCase({ B: 2, H: 6, Hkv: 2, N: 33, M: 41, dk: 8, dv: 12, affinity: 'embedded_gaussian', causal: 'upper-left', bias: '[B,H,N,M]', mask: true });
    const [, , , o] = args(c);
    const y3 = attention(
      { data: toHeadsLast(c.q, 2, 6, 33, 8), shape: [2, 33, 48] },
      { data: toHeadsLast(c.k, 2, 2, 41, 8), shape: [2, 41, 16] },
      { data: toHeadsLast(c.v, 2, 2, 41, 12), shape: [2, 41, 24] },
      { ...o, heads: 6, kvHeads: 2 },
    );
    expect(y3.shape).toEqual([2, 33, 72]);
    expect(relativeError(y3.data, toHeadsLast(Float32Array.from(oracleAttention(c)), 2, 6, 33, 12))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('affinityMap shows the causal, biased, grouped affinity: rows sum to 1 over the keys each query sees, and P·V is attention()', () => {
    const c = makeCase({ B: 1, H: 4, Hkv: 2, N: 20, M: 26, dk: 8, dv: 6, affinity: 'embedded_gaussian', causal: 'lower-right', bias: '[1,H,N,M]' });
    const [q, k, v, o] = args(c);
    const { threads: _t, ...mapOptions } = o;
    const map = affinityMap(q, k, mapOptions);
    expect(map.shape).toEqual([1, 4, 20, 26]);
    const y = new Float64Array(4 * 20 * 6);
    for (let h = 0; h < 4; h++)
      for (let i = 0; i < 20; i++) {
        let sum = 0;
        for (let j = 0; j < 26; j++) {
          const p = map.data[(h * 20 + i) * 26 + j];
          if (j > i + 6) expect(p).toBe(0); // lower-right: j ≤ i + M − N
          sum += p;
          for (let x = 0; x < 6; x++) y[(h * 20 + i) * 6 + x] += p * c.v[((Math.floor(h / 2)) * 26 + j) * 6 + x];
        }
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
    expect(relativeError(attention(q, k, v, o).data, y)).toBeLessThanOrEqual(1e-5);
  });
});
