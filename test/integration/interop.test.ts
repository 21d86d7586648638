/**
 * onnxruntime-node interop: an ORT Tensor ({ type, data, dims }) goes in as it is, and what comes
 * out ({ data, shape }) goes back into `new ort.Tensor('float32', y.data, y.shape)` without a copy.
 * (The real onnxruntime-node round trip runs in the benchmark harness; this checks the shapes of
 * the contract with objects built exactly like ORT's.)
 */
import { affinityMap, attention, attentionAsync, nonLocalBlock } from '../../lib/index';
import { randomFloats } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

/** The fields an onnxruntime-node float32 Tensor exposes. */
const ortTensor = (dims: number[], seed: number) => ({ type: 'float32', dims, data: randomFloats(dims.reduce((a, b) => a * b, 1), seed), size: dims.reduce((a, b) => a * b, 1), location: 'cpu' });

test('ORT-style tensors (data + dims) are accepted and give the same result as { data, shape }', async () => {
  const q = ortTensor([2, 9, 8], 1);
  const k = ortTensor([2, 11, 8], 2);
  const v = ortTensor([2, 11, 4], 3);
  const plain = (t: typeof q) => ({ data: t.data, shape: t.dims });
  const want = attention(plain(q), plain(k), plain(v)).data;
  expect(attention(q as never, k as never, v as never).data).toEqual(want);
  expect((await attentionAsync(q as never, k as never, v as never)).data).toEqual(want);
  expect(affinityMap(q as never, k as never).shape).toEqual([2, 9, 11]);
  const w = randomWeights({ C: 4, Ci: 2, mode: 'embedded_gaussian', bn: false, outBias: true, useScale: true, subSample: false, poolBeforeConv: false, seed: 4 });
  const x = ortTensor([1, 4, 5, 6], 5);
  expect(nonLocalBlock(x as never, w).data).toEqual(nonLocalBlock(plain(x), w).data);
});

test('the output is a plain { data: Float32Array, shape } that ORT takes back without a copy', () => {
  const q = ortTensor([5, 4], 6);
  const y = attention(q as never, q as never, q as never);
  expect(Object.prototype.toString.call(y.data)).toBe('[object Float32Array]');
  expect(y.shape).toEqual([5, 4]);
});

test('views into a larger buffer (a Buffer read from a socket) are used in place', () => {
  const bytes = Buffer.alloc(4 * (3 + 40));
  const view = new Float32Array(bytes.buffer, bytes.byteOffset + 12, 40);
  view.set(randomFloats(40, 7));
  const q = { data: view, shape: [10, 4] };
  const copy = { data: view.slice(), shape: [10, 4] };
  expect(attention(q, q, q).data).toEqual(attention(copy, copy, copy).data);
});

test('an ORT tensor of another type, or with bad dims, is named in the error', () => {
  const q = ortTensor([5, 4], 8);
  expect(() => attention({ ...q, type: 'float16' } as never, q as never, q as never)).toThrow(/^query\.type must be 'float32' \(an onnxruntime Tensor of another type\), got string "float16"$/);
  expect(() => attention({ ...q, dims: [5, 5] } as never, q as never, q as never)).toThrow(/^query\.data has 20 elements but query\.dims \[5, 5\] needs 25$/);
});
