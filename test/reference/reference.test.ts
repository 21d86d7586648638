/**
 * reference.attention, the pure-TypeScript twin: agrees with the float64 oracle and with the
 * native operator, and validates exactly like it.
 */
import { attention } from '../../lib/attention/attention';
import * as reference from '../../lib/reference/index';
import { AFFINITIES, type Affinity } from '../../lib/core/tensor';
import { oracleAttention, randomFloats, relativeError } from '../support/oracle';


describe.each(AFFINITIES)('reference.attention (%s)', (affinity) => {
  const B = 2;
  const H = 3;
  const N = 37;
  const M = 53;
  const dk = 11;
  const dv = 7;
  const q = randomFloats(B * H * N * dk, 1);
  const k = randomFloats(B * H * M * dk, 2);
  const v = randomFloats(B * H * M * dv, 3);
  const wq = randomFloats(dk, 4);
  const wk = randomFloats(dk, 5);
  const mask = Uint8Array.from({ length: B * M }, (_, j) => (j % 3 === 1 ? 0 : 1));
  const scale = affinity === 'concatenation' ? 1 : 0.6;
  const options = {
    affinity,
    scale,
    keyPaddingMask: mask,
    ...(affinity === 'concatenation' ? { concatWeights: { query: wq, key: wk } } : {}),
  };
  const shape = (rows: number, w: number): number[] => [B, H, rows, w];

  test('matches the float64 oracle to float32 rounding', () => {
    const y = reference.attention({ data: q, shape: shape(N, dk) }, { data: k, shape: shape(M, dk) }, { data: v, shape: shape(M, dv) }, options);
    expect(y.shape).toEqual([B, H, N, dv]);
    const want = oracleAttention({ B, H, N, M, dk, dv, q, k, v, affinity, scale, mask, wq, wk });
    expect(relativeError(y.data, want)).toBeLessThanOrEqual(1e-6);
  });

  test('agrees with the native operator', () => {
    const args = [{ data: q, shape: shape(N, dk) }, { data: k, shape: shape(M, dk) }, { data: v, shape: shape(M, dv) }] as const;
    const y = reference.attention(...args, options);
    expect(relativeError(attention(...args, options).data, y.data)).toBeLessThanOrEqual(2e-5);
  });
});

test('reference.attention handles rank-3 heads like the native operator', () => {
  const q = { data: randomFloats(2 * 9 * 12, 6), shape: [2, 9, 12] };
  const k = { data: randomFloats(2 * 10 * 12, 7), shape: [2, 10, 12] };
  const v = { data: randomFloats(2 * 10 * 8, 8), shape: [2, 10, 8] };
  const y = reference.attention(q, k, v, { heads: 4, scale: 0.5 });
  expect(y.shape).toEqual([2, 9, 8]);
  expect(relativeError(attention(q, k, v, { heads: 4, scale: 0.5 }).data, y.data)).toBeLessThanOrEqual(2e-5);
});

test('reference.attention rejects bad input with the same errors as attention()', () => {
  const q = { data: new Float32Array(6), shape: [2, 3] };
  const bad = { data: new Float32Array(6), shape: [3, 3] };
  expect(() => reference.attention(q, bad, q)).toThrow(/^key\.data has 6 elements but key\.shape \[3, 3\] needs 9$/);
  expect(() => reference.attention(q, q, q, { affinity: 'nope' as Affinity })).toThrow(/options\.affinity must be one of/);
});

test('reference.attention writes into out and gives zeros for an all-masked batch', () => {
  const q = { data: randomFloats(6, 9), shape: [2, 3] };
  const out = new Float32Array(6).fill(7);
  const y = reference.attention(q, q, q, { keyPaddingMask: new Uint8Array(2), out });
  expect(y.data).toBe(out);
  expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
});
