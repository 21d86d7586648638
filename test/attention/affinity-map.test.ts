import { attention } from '../../lib/attention/attention';
import { affinityMap } from '../../lib/attention/affinity-map';
import { AFFINITIES } from '../../lib/core/tensor';
import { randomFloats, relativeError } from '../support/oracle';

describe('affinityMap', () => {
  const N = 6;
  const M = 9;
  const dk = 4;
  const q = { data: randomFloats(N * dk, 1), shape: [N, dk] };
  const k = { data: randomFloats(M * dk, 2), shape: [M, dk] };

  test('softmax rows sum to 1 and equal exp(s·q·k) normalised', () => {
    const map = affinityMap(q, k, { scale: 0.5 });
    expect(map.shape).toEqual([N, M]);
    for (let i = 0; i < N; i++) {
      const logits = Array.from({ length: M }, (_, j) => {
        let s = 0;
        for (let c = 0; c < dk; c++) s += q.data[i * dk + c] * k.data[j * dk + c];
        return 0.5 * s;
      });
      const max = Math.max(...logits);
      const e = logits.map((x) => Math.exp(x - max));
      const sum = e.reduce((a, b) => a + b, 0);
      expect(relativeError(map.data.subarray(i * M, (i + 1) * M), e.map((x) => x / sum))).toBeLessThan(1e-6);
    }
  });

  test('map · V equals attention(q, k, V) for every affinity, masks included', () => {
    const v = { data: randomFloats(M * 3, 3), shape: [M, 3] };
    const mask = Uint8Array.from({ length: M }, (_, j) => (j === 2 || j === 5 ? 0 : 1));
    const concatWeights = { query: randomFloats(dk, 4), key: randomFloats(dk, 5) };
    for (const affinity of AFFINITIES) {
      const options = affinity === 'concatenation' ? { affinity, concatWeights, keyPaddingMask: mask } : { affinity, keyPaddingMask: mask, scale: 0.8 };
      const map = affinityMap(q, k, options);
      const y = new Float64Array(N * 3);
      for (let i = 0; i < N; i++) for (let j = 0; j < M; j++) for (let c = 0; c < 3; c++) y[i * 3 + c] += map.data[i * M + j] * v.data[j * 3 + c];
      expect(relativeError(attention(q, k, v, options).data, y)).toBeLessThan(2e-5);
      for (const j of [2, 5]) expect(map.data[j]).toBe(0);
    }
  });

  test('shapes: [B, N, M] for rank 3, [B, H, N, M] with heads or rank 4', () => {
    const q3 = { data: randomFloats(2 * N * 8, 6), shape: [2, N, 8] };
    const k3 = { data: randomFloats(2 * M * 8, 7), shape: [2, M, 8] };
    expect(affinityMap(q3, k3).shape).toEqual([2, N, M]);
    expect(affinityMap(q3, k3, { heads: 2 }).shape).toEqual([2, 2, N, M]);
    const q4 = { data: q3.data, shape: [2, 2, N, 4] };
    const k4 = { data: k3.data, shape: [2, 2, M, 4] };
    expect(affinityMap(q4, k4).shape).toEqual([2, 2, N, M]);
  });

  test('refuses maps over maxElements and rejects bad options', () => {
    expect(() => affinityMap(q, k, { maxElements: 53 })).toThrow(/^affinityMap would allocate \[6, 9\] = 54 elements, over options\.maxElements = 53/);
    expect(() => affinityMap(q, k, { maxElements: 0 })).toThrow(/^options\.maxElements must be a positive integer, got 0$/);
    expect(() => affinityMap(q, k, { maxElements: '9' as unknown as number })).toThrow(/^options\.maxElements must be a positive integer, got string "9"$/);
    expect(() => affinityMap(q, k, { out: new Float32Array(54) } as never)).toThrow(/^options\.out is not an option/);
  });
});
