/**
 * One test per validation branch of attention(): each bad call gets a TypeError or RangeError whose
 * message names the argument and the expected shape. Errors are matched by name and message
 * (never `instanceof`: Jest runs tests in another realm).
 */
import { attention, attentionAsync } from '../../lib/attention/attention';
import type { Tensor } from '../../lib/core/tensor';

const t = (shape: number[], fill = 0.5): Tensor => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape });
const q = t([4, 3]);
const k = t([5, 3]);
const v = t([5, 2]);
const f = (n: number): Float32Array => new Float32Array(n).fill(0.5);

function expectError(fn: () => unknown, name: 'TypeError' | 'RangeError', message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
}

// Every case is also run through attentionAsync, which must reject (not throw) with the same error.
const cases: [string, () => unknown[], 'TypeError' | 'RangeError', RegExp][] = [
  ['query not an object', () => [new Float32Array(12), k, v], 'TypeError', /^query must be a tensor \{ data: Float32Array, shape: number\[\] \}, got Float32Array\(12\)$/],
  ['query null', () => [null, k, v], 'TypeError', /^query must be a tensor .* got null$/],
  ['data a plain array', () => [{ data: [1, 2], shape: [1, 2] }, k, v], 'TypeError', /^query\.data must be a Float32Array, got Array\(2\)$/],
  ['data a Float64Array', () => [q, { data: new Float64Array(15), shape: [5, 3] }, v], 'TypeError', /^key\.data must be a Float32Array, got Float64Array\(15\)$/],
  ['data a DataView', () => [q, k, { data: new DataView(new ArrayBuffer(40)), shape: [5, 2] }], 'TypeError', /^value\.data must be a Float32Array, got DataView$/],
  ['shape not an array', () => [{ data: q.data, shape: '4,3' }, k, v], 'TypeError', /^query\.shape must be an array of positive integers, got string "4,3"$/],
  ['dim not a number', () => [{ data: q.data, shape: [4, '3'] }, k, v], 'TypeError', /^query\.shape\[1\] must be a positive integer, got string "3"$/],
  ['dim zero', () => [{ data: new Float32Array(0), shape: [0, 3] }, k, v], 'RangeError', /^query\.shape\[0\] must be a positive integer, got 0 \(shape \[0, 3\]\)$/],
  ['dim negative', () => [q, { data: k.data, shape: [-5, -3] }, v], 'RangeError', /^key\.shape\[0\] must be a positive integer, got -5/],
  ['dim fractional', () => [q, k, { data: v.data, shape: [5, 2.5] }], 'RangeError', /^value\.shape\[1\] must be a positive integer, got 2\.5/],
  ['dim NaN', () => [{ data: q.data, shape: [NaN, 3] }, k, v], 'RangeError', /^query\.shape\[0\] must be a positive integer, got NaN/],
  ['dim 2^53', () => [{ data: q.data, shape: [2 ** 53, 3] }, k, v], 'RangeError', /^query\.shape\[0\] must be a positive integer, got 9007199254740992/],
  ['product over 2^32', () => [{ data: q.data, shape: [2 ** 20, 2 ** 20] }, k, v], 'RangeError', /^query\.shape \[1048576, 1048576\] has more than 2\^32 − 1 elements$/],
  ['data too short', () => [{ data: new Float32Array(11), shape: [4, 3] }, k, v], 'RangeError', /^query\.data has 11 elements but query\.shape \[4, 3\] needs 12$/],
  ['data too long', () => [q, { data: new Float32Array(16), shape: [5, 3] }, v], 'RangeError', /^key\.data has 16 elements but key\.shape \[5, 3\] needs 15$/],
  ['detached data', () => {
    const data = new Float32Array(12);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    return [{ data, shape: [4, 3] }, k, v];
  }, 'RangeError', /^query\.data is detached \(its ArrayBuffer was transferred\), but query\.shape \[4, 3\] needs 12 elements$/],
  ['options not an object', () => [q, k, v, 'fast'], 'TypeError', /^options must be a plain object, got string "fast"$/],
  ['unknown option with a hint', () => [q, k, v, { mask: new Uint8Array(5) }], 'TypeError', /^options\.mask is not an option; known options: affinity, scale/],
  ['misspelt option', () => [q, k, v, { thread: 2 }], 'TypeError', /^options\.thread is not an option \(did you mean 'threads'\?\)/],
  ['rank 1', () => [t([3]), t([3]), t([3])], 'RangeError', /^query must have rank 2 \[N, Dk\], 3 \[B, N, Dk\] or 4 \[B, H, N, dk\], got shape \[3\]$/],
  ['rank 5', () => [t([1, 1, 1, 4, 3]), k, v], 'RangeError', /^query must have rank 2 .* got shape \[1, 1, 1, 4, 3\]$/],
  ['key rank differs', () => [q, t([1, 5, 3]), v], 'RangeError', /^key must have the same rank as query \(2\), got shape \[1, 5, 3\] for query \[4, 3\]$/],
  ['value rank differs', () => [q, k, t([1, 5, 2])], 'RangeError', /^value must have the same rank as query \(2\), got shape \[1, 5, 2\]/],
  ['key batch differs', () => [t([2, 4, 3]), t([3, 5, 3]), t([2, 5, 2])], 'RangeError', /^key\.shape\[0\] \(batch\) must equal query\.shape\[0\] = 2; got key \[3, 5, 3\], query \[2, 4, 3\]$/],
  ['value batch differs', () => [t([2, 4, 3]), t([2, 5, 3]), t([1, 5, 2])], 'RangeError', /^value\.shape\[0\] \(batch\) must equal query\.shape\[0\] = 2; got value \[1, 5, 2\]/],
  ['KV heads not dividing the heads (rank 4)', () => [t([1, 2, 4, 3]), t([1, 3, 5, 3]), t([1, 3, 5, 2])], 'RangeError', /^key\.shape\[1\] \(3 KV heads\) must divide query\.shape\[1\] = 2 heads \(grouped-query attention\); got key \[1, 3, 5, 3\], query \[1, 2, 4, 3\]$/],
  ['value KV heads differ from the key\'s (rank 4)', () => [t([1, 2, 4, 3]), t([1, 1, 5, 3]), t([1, 2, 5, 2])], 'RangeError', /^value\.shape\[1\] \(KV heads\) must equal key\.shape\[1\] = 1; got value \[1, 2, 5, 2\], key \[1, 1, 5, 3\]$/],
  ['kvHeads not a number', () => [t([1, 4, 6]), t([1, 5, 6]), t([1, 5, 4]), { heads: 2, kvHeads: '1' }], 'TypeError', /^options\.kvHeads must be a positive integer, got string "1"$/],
  ['kvHeads not dividing heads', () => [t([1, 4, 6]), t([1, 5, 4]), t([1, 5, 4]), { heads: 3, kvHeads: 2 }], 'RangeError', /^options\.kvHeads \(2\) must divide options\.heads \(3\): each KV head serves heads \/ kvHeads query heads$/],
  ['kvHeads with a key sized for every head', () => [t([1, 4, 8]), t([1, 5, 8]), t([1, 5, 4]), { heads: 4, kvHeads: 2 }], 'RangeError', /^key\.shape\[2\] must be kvHeads · dk = 2 · 2 = 4; got key \[1, 5, 8\], query \[1, 4, 8\] with heads 4$/],
  ['kvHeads against a rank-4 key', () => [t([1, 2, 4, 3]), t([1, 1, 5, 3]), t([1, 1, 5, 2]), { kvHeads: 2 }], 'RangeError', /^options\.kvHeads \(2\) must match key\.shape\[1\] = 1 for rank-4 inputs \[B, Hkv, M, dk\]$/],
  ['kvHeads on rank 2', () => [q, k, v, { kvHeads: 2 }], 'RangeError', /^options\.kvHeads applies to rank-3 inputs/],
  ['causal a wrong string', () => [q, k, v, { causal: 'diagonal' }], 'TypeError', /^options\.causal must be true, false, 'upper-left' or 'lower-right', got string "diagonal"$/],
  ['causal a number', () => [q, k, v, { causal: 1 }], 'TypeError', /^options\.causal must be true, false, 'upper-left' or 'lower-right', got number 1$/],
  ['bias with dot_product', () => [q, k, v, { affinity: 'dot_product', attentionBias: t([4, 5]) }], 'TypeError', /^options\.attentionBias must be used with a softmax affinity \('embedded_gaussian' or 'gaussian'\): it is added to the logits before the softmax, and affinity 'dot_product' has none, got object/],
  ['bias with concatenation', () => [q, k, v, { affinity: 'concatenation', concatWeights: { query: f(3), key: f(3) }, attentionBias: t([4, 5]) }], 'TypeError', /^options\.attentionBias must be used with a softmax affinity .* affinity 'concatenation' has none/],
  ['bias not a tensor', () => [q, k, v, { attentionBias: f(20) }], 'TypeError', /^options\.attentionBias must be/],
  ['bias of the wrong shape', () => [q, k, v, { attentionBias: t([5, 4]) }], 'RangeError', /^options\.attentionBias must have shape \[B\|1, H\|1, N, M\] = \[1\|1, 1\|1, 4, 5\] or \[N, M\] = \[4, 5\], got \[5, 4\]$/],
  ['bias batch neither 1 nor B', () => [t([2, 2, 4, 3]), t([2, 2, 5, 3]), t([2, 2, 5, 2]), { attentionBias: t([3, 1, 4, 5]) }], 'RangeError', /^options\.attentionBias must have shape \[B\|1, H\|1, N, M\] = \[2\|1, 2\|1, 4, 5\] or \[N, M\] = \[4, 5\], got \[3, 1, 4, 5\]$/],
  ['bias of rank 3', () => [t([2, 4, 3]), t([2, 5, 3]), t([2, 5, 2]), { attentionBias: t([2, 4, 5]) }], 'RangeError', /^options\.attentionBias must have shape/],
  ['bias a Float64Array', () => [q, k, v, { attentionBias: { data: new Float64Array(20), shape: [4, 5] } }], 'TypeError', /^options\.attentionBias\.data must be a Float32Array/],
  ['key width differs', () => [q, t([5, 4]), v], 'RangeError', /^key\.shape\[1\] must equal query\.shape\[1\] = 3 \(the q\/k width\); got key \[5, 4\], query \[4, 3\]$/],
  ['value rows differ from keys', () => [q, k, t([6, 2])], 'RangeError', /^value\.shape\[0\] must equal key\.shape\[0\] = 5 \(the number of keys M\); got value \[6, 2\], key \[5, 3\]$/],
  ['heads not a number', () => [q, k, v, { heads: '2' }], 'TypeError', /^options\.heads must be a positive integer, got string "2"$/],
  ['heads zero', () => [q, k, v, { heads: 0 }], 'RangeError', /^options\.heads must be a positive integer, got 0$/],
  ['heads on rank 2', () => [q, k, v, { heads: 3 }], 'RangeError', /^options\.heads applies to rank-3 inputs \[B, N, D\]/],
  ['heads mismatch on rank 4', () => [t([1, 2, 4, 3]), t([1, 2, 5, 3]), t([1, 2, 5, 2]), { heads: 4 }], 'RangeError', /^options\.heads \(4\) must match query\.shape\[1\] = 2 for rank-4 inputs/],
  ['heads not dividing Dk', () => [t([1, 4, 6]), t([1, 5, 6]), t([1, 5, 8]), { heads: 4 }], 'RangeError', /^options\.heads \(4\) must divide the q\/k width query\.shape\[2\] = 6$/],
  ['heads not dividing Dv', () => [t([1, 4, 6]), t([1, 5, 6]), t([1, 5, 4]), { heads: 3 }], 'RangeError', /^options\.heads \(3\) must divide the value width value\.shape\[2\] = 4$/],
  ['unknown affinity', () => [q, k, v, { affinity: 'softmax' }], 'TypeError', /^options\.affinity must be one of 'embedded_gaussian', 'gaussian', 'dot_product', 'concatenation', got string "softmax"$/],
  ['scale not a number', () => [q, k, v, { scale: '0.5' }], 'TypeError', /^options\.scale must be a finite number > 0, got string "0\.5"$/],
  ['scale NaN', () => [q, k, v, { scale: NaN }], 'RangeError', /^options\.scale must be a finite number > 0, got NaN$/],
  ['scale infinite', () => [q, k, v, { scale: Infinity }], 'RangeError', /^options\.scale must be a finite number > 0, got Infinity$/],
  ['scale zero', () => [q, k, v, { scale: 0 }], 'RangeError', /^options\.scale must be a finite number > 0, got 0$/],
  ['scale negative', () => [q, k, v, { scale: -1 }], 'RangeError', /^options\.scale must be a finite number > 0, got -1$/],
  ['scale with concatenation', () => [q, k, v, { affinity: 'concatenation', scale: 2, concatWeights: { query: new Float32Array(3), key: new Float32Array(3) } }], 'RangeError', /^options\.scale does not apply to affinity 'concatenation'/],
  ['mask not a Uint8Array', () => [q, k, v, { keyPaddingMask: [1, 1, 1, 1, 1] }], 'TypeError', /^options\.keyPaddingMask must be a Uint8Array of shape \[1, 5\] \(B, M\), got Array\(5\)$/],
  ['mask wrong length', () => [t([2, 4, 3]), t([2, 5, 3]), t([2, 5, 2]), { keyPaddingMask: new Uint8Array(5) }], 'RangeError', /^options\.keyPaddingMask has 5 elements but must have shape \[2, 5\] \(B, M\) = 10 elements$/],
  ['concatWeights missing', () => [q, k, v, { affinity: 'concatenation' }], 'TypeError', /^options\.concatWeights must be \{ query: Float32Array\[3\], key: Float32Array\[3\] \} for affinity 'concatenation', got undefined$/],
  ['concatWeights not an object', () => [q, k, v, { affinity: 'concatenation', concatWeights: new Float32Array(6) }], 'TypeError', /^options\.concatWeights must be \{ query: Float32Array\[3\], key: Float32Array\[3\] \}, got Float32Array\(6\)$/],
  ['concatWeights.query wrong type', () => [q, k, v, { affinity: 'concatenation', concatWeights: { query: [1, 2, 3], key: new Float32Array(3) } }], 'TypeError', /^options\.concatWeights\.query must be a Float32Array of length 3 \(the per-head q\/k width\), got Array\(3\)$/],
  ['concatWeights.key wrong length', () => [q, k, v, { affinity: 'concatenation', concatWeights: { query: new Float32Array(3), key: new Float32Array(6) } }], 'RangeError', /^options\.concatWeights\.key must have length 3 \(the per-head q\/k width\), got 6$/],
  ['concatWeights with another affinity', () => [q, k, v, { concatWeights: { query: new Float32Array(3), key: new Float32Array(3) } }], 'RangeError', /^options\.concatWeights is only used by affinity 'concatenation', not 'embedded_gaussian'$/],
  ['threads not a number', () => [q, k, v, { threads: '2' }], 'TypeError', /^options\.threads must be an integer from 1 to 1024, got string "2"$/],
  ['threads zero', () => [q, k, v, { threads: 0 }], 'RangeError', /^options\.threads must be an integer from 1 to 1024, got 0$/],
  ['threads fractional', () => [q, k, v, { threads: 1.5 }], 'RangeError', /^options\.threads must be an integer from 1 to 1024, got 1\.5$/],
  ['output over 2^32 elements', () => [t([2 ** 17, 1]), t([1, 1]), t([1, 2 ** 16])], 'RangeError', /^the output \[131072, 65536\] would have more than 2\^32 − 1 elements$/],
  ['out wrong type', () => [q, k, v, { out: new Float64Array(8) }], 'TypeError', /^options\.out must be a Float32Array of length 8 \(output shape \[4, 2\]\), got Float64Array\(8\)$/],
  ['out wrong length', () => [q, k, v, { out: new Float32Array(9) }], 'RangeError', /^options\.out has 9 elements but the output \[4, 2\] needs 8$/],
  ['out aliasing query', () => {
    const shared = new Float32Array(20);
    return [{ data: shared.subarray(0, 12), shape: [4, 3] }, k, v, { out: shared.subarray(10, 18) }];
  }, 'RangeError', /^options\.out must not share memory with query$/],
  ['out aliasing value', () => [q, k, v, { out: v.data.subarray(0, 8) }], 'RangeError', /^options\.out must not share memory with value$/],
  ['out aliasing the mask', () => {
    const buf = new ArrayBuffer(64);
    return [q, k, v, { out: new Float32Array(buf, 0, 8), keyPaddingMask: new Uint8Array(buf, 20, 5) }];
  }, 'RangeError', /^options\.out must not share memory with keyPaddingMask$/],
];

describe('attention() validation', () => {
  test.each(cases)('%s', (_label, args, name, message) => {
    expectError(() => (attention as (...a: unknown[]) => unknown)(...args()), name, message);
  });
});

describe('attentionAsync() validation rejects, never throws synchronously', () => {
  test.each(cases)('%s', async (_label, args, name, message) => {
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = (attentionAsync as (...a: unknown[]) => Promise<unknown>)(...args());
    }).not.toThrow();
    await expect(promise).rejects.toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});

test('out that does not overlap a neighbouring view of the same buffer is accepted', () => {
  const shared = new Float32Array(20);
  shared.fill(0.25, 0, 12);
  const y = attention({ data: shared.subarray(0, 12), shape: [4, 3] }, k, v, { out: shared.subarray(12, 20) });
  expect(Array.from(y.data)).toEqual(new Array(8).fill(0.5));
});
