/**
 * The native operator against the float64 oracle, once per kernel the CPU supports: every tail
 * length of every dimension up to past three vectors, odd sizes, N ≠ M, B and H > 1, all four
 * affinities, masks, extreme logits.
 */
import { attention } from '../../lib/attention/attention';
import { binding } from '../../lib/native/binding';
import { AFFINITIES, type Affinity, type Tensor } from '../../lib/core/tensor';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { oracleAttention, randomFloats, relativeError, toHeadsLast, type OracleCase } from '../support/oracle';

const TOLERANCE = 2e-5;

type Dims = Pick<OracleCase, 'B' | 'H' | 'N' | 'M' | 'dk' | 'dv'>;

let seed = 1;
function makeCase(d: Dims, affinity: Affinity, extra: Partial<OracleCase> = {}): OracleCase {
  seed += 7;
  return {
    ...d,
    q: randomFloats(d.B * d.H * d.N * d.dk, seed),
    k: randomFloats(d.B * d.H * d.M * d.dk, seed + 1),
    v: randomFloats(d.B * d.H * d.M * d.dv, seed + 2),
    affinity,
    scale: affinity === 'concatenation' ? 1 : 0.7,
    wq: affinity === 'concatenation' ? randomFloats(d.dk, seed + 3) : undefined,
    wk: affinity === 'concatenation' ? randomFloats(d.dk, seed + 4) : undefined,
    ...extra,
  };
}

/** Runs the case through the public API in the rank-4 layout [B, H, N, d]. */
function runRank4(c: OracleCase, threads = 2): Tensor {
  const t = (data: Float32Array, rows: number, width: number): Tensor => ({ data, shape: [c.B, c.H, rows, width] });
  return attention(t(c.q, c.N, c.dk), t(c.k, c.M, c.dk), t(c.v, c.M, c.dv), {
    affinity: c.affinity,
    scale: c.scale,
    keyPaddingMask: c.mask,
    concatWeights: c.wq ? { query: c.wq, key: c.wk! } : undefined,
    threads,
  });
}

/** Every dimension swept through 1 … 3·16+1 with the others held at small odd sizes. */
function sweep(): Dims[] {
  const base: Dims = { B: 1, H: 1, N: 5, M: 7, dk: 3, dv: 9 };
  const out: Dims[] = [];
  for (const axis of ['N', 'M', 'dk', 'dv'] as const) {
    for (let n = 1; n <= 49; n++) out.push({ ...base, [axis]: n });
  }
  return out;
}

describe.each(SUPPORTED_ISAS)('attention on the %s kernel', (isa) => {
  beforeAll(() => useIsa(isa));
  afterAll(() => restoreIsa());

  test.each(AFFINITIES)('%s: every tail length of N, M, dk and dv (1..49) matches float64', (affinity) => {
    let worst = 0;
    for (const dims of sweep()) {
      const c = makeCase(dims, affinity);
      const err = relativeError(runRank4(c).data, oracleAttention(c));
      worst = Math.max(worst, err);
      if (!(err <= TOLERANCE)) throw new Error(`${JSON.stringify(dims)}: relative error ${err}`);
    }
    expect(worst).toBeLessThanOrEqual(TOLERANCE);
  });

  test.each(AFFINITIES)('%s: odd and larger shapes, N ≠ M, B and H > 1', (affinity) => {
    const shapes: Dims[] = [
      { B: 1, H: 1, N: 63, M: 95, dk: 64, dv: 64 },
      { B: 2, H: 3, N: 33, M: 129, dk: 17, dv: 40 },
      { B: 3, H: 2, N: 130, M: 67, dk: 8, dv: 70 },
      { B: 1, H: 1, N: 200, M: 300, dk: 65, dv: 33 }, // more than one key block and query block
      { B: 1, H: 1, N: 2, M: 400, dk: 130, dv: 150 },
      { B: 1, H: 1, N: 600, M: 70, dk: 256, dv: 260 }, // wide heads: 128-query tasks, a partial last one
    ];
    for (const dims of shapes) {
      const c = makeCase(dims, affinity);
      expect(relativeError(runRank4(c).data, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  test.each(AFFINITIES.flatMap((a) => [[a, 19], [a, 150]] as const))('%s: keyPaddingMask drops keys, per batch (dv = %d)', (affinity, dv) => {
    // dv = 150 spans several microkernel column tiles, so the kernel packs each key block's live
    // value rows into column panels: the compaction of masked rows must carry through that copy.
    const dims = { B: 3, H: 2, N: 21, M: 300, dk: 12, dv };
    const mask = new Uint8Array(dims.B * dims.M);
    for (let j = 0; j < mask.length; j++) mask[j] = (j * 7919) % 5 === 0 ? 0 : 1;
    for (let j = 0; j < 150; j++) mask[dims.M + j] = 0; // batch 1: a whole key block masked
    const c = makeCase(dims, affinity, { mask });
    // Masked keys carry garbage that must never leak into the result.
    for (let j = 0; j < dims.M; j++) {
      if (mask[dims.M + j] === 0) for (let h = 0; h < dims.H; h++) c.v[((1 * dims.H + h) * dims.M + j) * dims.dv] = NaN;
    }
    expect(relativeError(runRank4(c).data, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test.each(AFFINITIES)('%s: a batch whose keys are all masked gives zeros, never NaN', (affinity) => {
    const dims = { B: 2, H: 1, N: 9, M: 13, dk: 4, dv: 6 };
    const mask = new Uint8Array(dims.B * dims.M).fill(1);
    mask.fill(0, 0, dims.M);
    const c = makeCase(dims, affinity, { mask });
    const y = runRank4(c).data;
    expect(Array.from(y.subarray(0, dims.N * dims.dv))).toEqual(new Array(dims.N * dims.dv).fill(0));
    expect(relativeError(y, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('logits as large as ±1e4 give exact softmax results, no overflow or NaN', () => {
    const dims = { B: 1, H: 1, N: 17, M: 41, dk: 1, dv: 5 };
    const c = makeCase(dims, 'embedded_gaussian');
    c.q = Float32Array.from(c.q, (x) => (x > 0 ? 100 : -100));
    c.k = Float32Array.from(c.k, (x, j) => (j === 7 ? 100 : x * 99));
    c.scale = 1; // logits up to ±1e4
    const y = runRank4(c).data;
    expect(y.every(Number.isFinite)).toBe(true);
    expect(relativeError(y, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('V off a cache line (copied aligned once it is read by four tasks or more) gives the same bits as V on one, and matches float64', () => {
    for (const dv of [5, 16, 17, 64, 70]) {
      const c = makeCase({ B: 1, H: 2, N: 300, M: 77, dk: 24, dv }, 'embedded_gaussian');
      const want = oracleAttention(c);
      const aligned = binding().alignedFloat32Array(c.v.length);
      aligned.set(c.v);
      const offset = new Float32Array(c.v.length + 1).subarray(1);  // 4 bytes past an aligned start at best
      offset.set(c.v);
      for (const threads of [1, 2]) {
        const run = (v: Float32Array): Float32Array =>
          attention({ data: c.q, shape: [1, 2, 300, 24] }, { data: c.k, shape: [1, 2, 77, 24] }, { data: v, shape: [1, 2, 77, dv] }, { scale: c.scale, threads }).data;
        const a = run(aligned);
        expect(relativeError(a, want)).toBeLessThanOrEqual(TOLERANCE);
        expect(Array.from(run(offset))).toEqual(Array.from(a));
      }
    }
  });
});

describe('layouts and options', () => {
  test('rank-3 with heads equals rank-4 [B, H, N, d] (ONNX Runtime MultiHeadAttention layout)', () => {
    const dims = { B: 2, H: 4, N: 19, M: 23, dk: 8, dv: 6 };
    const c = makeCase(dims, 'embedded_gaussian');
    const want = runRank4(c).data;
    const y = attention(
      { data: toHeadsLast(c.q, 2, 4, 19, 8), shape: [2, 19, 32] },
      { data: toHeadsLast(c.k, 2, 4, 23, 8), shape: [2, 23, 32] },
      { data: toHeadsLast(c.v, 2, 4, 23, 6), shape: [2, 23, 24] },
      { heads: 4, scale: c.scale },
    );
    expect(y.shape).toEqual([2, 19, 24]);
    expect(y.data).toEqual(toHeadsLast(want, 2, 4, 19, 6));
  });

  test('rank 2 [N, Dk] and rank 3 [B, N, Dk] give the oracle result and the right output shape', () => {
    const c = makeCase({ B: 1, H: 1, N: 10, M: 12, dk: 7, dv: 3 }, 'dot_product');
    const y2 = attention({ data: c.q, shape: [10, 7] }, { data: c.k, shape: [12, 7] }, { data: c.v, shape: [12, 3] }, { affinity: 'dot_product', scale: c.scale });
    expect(y2.shape).toEqual([10, 3]);
    expect(relativeError(y2.data, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
    const y3 = attention({ data: c.q, shape: [1, 10, 7] }, { data: c.k, shape: [1, 12, 7] }, { data: c.v, shape: [1, 12, 3] }, { affinity: 'dot_product', scale: c.scale });
    expect(y3.shape).toEqual([1, 10, 3]);
    expect(y3.data).toEqual(y2.data);
  });

  test('gaussian allows a q/k width different from the value width', () => {
    const c = makeCase({ B: 2, H: 1, N: 30, M: 30, dk: 64, dv: 32 }, 'gaussian');
    expect(relativeError(runRank4(c).data, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('default options are embedded_gaussian with scale 1', () => {
    const c = makeCase({ B: 1, H: 1, N: 8, M: 9, dk: 5, dv: 4 }, 'embedded_gaussian', { scale: 1 });
    const y = attention({ data: c.q, shape: [8, 5] }, { data: c.k, shape: [9, 5] }, { data: c.v, shape: [9, 4] });
    expect(relativeError(y.data, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('out: the result is written into the caller\'s array, which is returned', () => {
    const c = makeCase({ B: 1, H: 1, N: 8, M: 9, dk: 5, dv: 4 }, 'embedded_gaussian');
    const out = new Float32Array(32).fill(123);
    const y = attention({ data: c.q, shape: [8, 5] }, { data: c.k, shape: [9, 5] }, { data: c.v, shape: [9, 4] }, { out, scale: c.scale });
    expect(y.data).toBe(out);
    expect(relativeError(out, oracleAttention(c))).toBeLessThanOrEqual(TOLERANCE);
  });

  test('subarray views at odd offsets and SharedArrayBuffer-backed inputs work', () => {
    const c = makeCase({ B: 1, H: 1, N: 11, M: 13, dk: 7, dv: 5 }, 'embedded_gaussian');
    const view = (x: Float32Array): Float32Array => {
      const big = new Float32Array(x.length + 3);
      big.set(x, 3);
      return big.subarray(3);
    };
    const shared = (x: Float32Array): Float32Array => {
      const s = new Float32Array(new SharedArrayBuffer(x.byteLength));
      s.set(x);
      return s;
    };
    const want = oracleAttention(c);
    for (const wrap of [view, shared]) {
      const y = attention({ data: wrap(c.q), shape: [11, 7] }, { data: wrap(c.k), shape: [13, 7] }, { data: wrap(c.v), shape: [13, 5] }, { scale: c.scale });
      expect(relativeError(y.data, want)).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  test('NaN in a live key row gives NaN output (documented), and never crashes', () => {
    const c = makeCase({ B: 1, H: 1, N: 4, M: 6, dk: 3, dv: 2 }, 'embedded_gaussian');
    c.k[2 * 3] = NaN;
    const y = runRank4(c).data;
    expect(y.every(Number.isNaN)).toBe(true);
  });
});
