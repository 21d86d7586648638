/** lib/core/validation.ts: the argument checks every public function shares, and their messages. */
import {
  describe as describeValue,
  isDetached,
  isPlainObject,
  rejectUnknownOptions,
  requireAffinity,
  requireOptions,
  requireOut,
  requireTensor,
  sharesMemory,
} from '../../lib/core/validation';

test('describe names any value briefly', () => {
  expect(describeValue(null)).toBe('null');
  expect(describeValue(undefined)).toBe('undefined');
  expect(describeValue(new Float64Array(6))).toBe('Float64Array(6)');
  expect(describeValue([1, 2])).toBe('Array(2)');
  expect(describeValue('x')).toBe('string "x"');
  expect(describeValue('y'.repeat(50))).toBe(`string "${'y'.repeat(40)}…"`);
  expect(describeValue(3)).toBe('number 3');
  expect(describeValue(() => 0)).toBe('function');
  expect(describeValue({})).toBe('object');
});

test('isPlainObject: object literals and null-prototype objects only', () => {
  expect(isPlainObject({})).toBe(true);
  expect(isPlainObject(Object.create(null))).toBe(true);
  for (const v of [[], new Float32Array(1), null, new Date(), new (class A {})(), 'x']) expect(isPlainObject(v)).toBe(false);
});

test('requireTensor accepts { data, shape } and an onnxruntime-style { type, data, dims }', () => {
  const data = new Float32Array(6);
  const t = requireTensor({ data, shape: [2, 3] }, 'query');
  expect(t.data).toBe(data);
  expect(t.shape).toEqual([2, 3]);
  expect(requireTensor({ type: 'float32', data, dims: [3, 2] }, 'x').shape).toEqual([3, 2]);
});

test.each([
  [null, TypeError, 'query must be a tensor { data: Float32Array, shape: number[] }, got null'],
  [{ data: new Float64Array(2), shape: [2] }, TypeError, 'query.data must be a Float32Array, got Float64Array(2)'],
  [{ data: new Float32Array(2), shape: '2' }, TypeError, 'query.shape must be an array of positive integers, got string "2"'],
  [{ data: new Float32Array(2), shape: [0, 2] }, RangeError, 'query.shape[0] must be a positive integer, got 0 (shape [0, 2])'],
  [{ data: new Float32Array(5), shape: [2, 3] }, RangeError, 'query.data has 5 elements but query.shape [2, 3] needs 6'],
  [{ data: new Float32Array(1), shape: [2 ** 16, 2 ** 16] }, RangeError, 'query.shape [65536, 65536] has more than 2^32 − 1 elements'],
  [{ type: 'int32', data: new Float32Array(1), dims: [1] }, TypeError, "query.type must be 'float32' (an onnxruntime Tensor of another type), got string \"int32\""],
])('requireTensor refuses %#', (value, kind, message) => {
  expect(() => requireTensor(value, 'query')).toThrow(new kind(message));
});

test('requireOptions: undefined → {}, a plain object of known names, else the shared messages', () => {
  expect(requireOptions(undefined, ['a'])).toEqual({});
  const o = { a: 1 };
  expect(requireOptions(o, ['a', 'b'])).toBe(o);
  expect(() => requireOptions([], ['a'])).toThrow(new TypeError('options must be a plain object, got Array(0)'));
  expect(() => requireOptions({ thread: 1 }, ['threads', 'out'])).toThrow(
    new TypeError("options.thread is not an option (did you mean 'threads'?); known options: threads, out"),
  );
  expect(() => rejectUnknownOptions({ zzzzzzzz: 1 }, ['threads'], 'opts')).toThrow(new TypeError('opts.zzzzzzzz is not an option; known options: threads'));
});

test('requireAffinity names the option it checks', () => {
  expect(requireAffinity('gaussian', 'options.mode')).toBe('gaussian');
  expect(() => requireAffinity('softmax', 'options.mode')).toThrow(
    new TypeError("options.mode must be one of 'embedded_gaussian', 'gaussian', 'dot_product', 'concatenation', got string \"softmax\""),
  );
});

test('sharesMemory and requireOut', () => {
  const buffer = new ArrayBuffer(64);
  const a = new Float32Array(buffer, 0, 8);
  const b = new Float32Array(buffer, 28, 4);
  const c = new Float32Array(buffer, 32, 4);
  expect(sharesMemory(a, b)).toBe(true);
  expect(sharesMemory(a, c)).toBe(false);
  expect(requireOut(c, 4, [2, 2], 'a Float32Array', [['x', a]])).toBe(c);
  expect(() => requireOut(b, 4, [2, 2], 'a Float32Array', [['x', a]])).toThrow(new RangeError('options.out must not share memory with x'));
  expect(() => requireOut(c, 5, [5], 'a Float32Array', [])).toThrow(new RangeError('options.out has 4 elements but the output [5] needs 5'));
  expect(() => requireOut([], 4, [4], 'a Float32Array of length 4', [])).toThrow(new TypeError('options.out must be a Float32Array of length 4, got Array(0)'));
});

test('isDetached sees a transferred buffer', () => {
  const a = new Float32Array(4);
  expect(isDetached(a)).toBe(false);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  expect(isDetached(a)).toBe(true);
});
