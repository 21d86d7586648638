/**
 * Argument checks shared by the file writers, so both report bad tensors the same way.
 *
 * Writers accept zero-length dimensions (numpy and safetensors can store them) even though the
 * readers refuse to return such arrays: writing an empty array is not an error.
 */
import * as util from 'node:util';
import type { Tensor } from '../tensor';

/**
 * Names a value's type for error messages ("Float64Array", "null", "string").
 *
 * @param v Any value.
 * @returns A short type name.
 * @throws Never.
 * @example
 * describeType(new Float64Array(1)) === 'Float64Array';
 */
export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') {
    // Realm-independent (Jest): read the tag instead of comparing constructors.
    const tag = Object.prototype.toString.call(v).slice(8, -1);
    return tag === 'Object' ? 'object' : tag;
  }
  return typeof v;
}

/**
 * Checks that `t` is a Tensor: a Float32Array plus a shape of non-negative safe integers whose
 * product is the data length.
 *
 * @param t The value to check.
 * @param fn The public function being called, prefixed to messages (e.g. `writeNpy`).
 * @param name How to name the argument in messages (e.g. `tensor`, `tensors["w"]`).
 * @returns `t`, typed as a Tensor.
 * @throws TypeError if t is not an object, data is not a Float32Array, shape is not an array, or a
 *   dimension is not a number; RangeError if a dimension is negative, fractional or unsafe, or the
 *   shape's product differs from data.length.
 * @example
 * assertTensorArg({ data: new Float32Array(6), shape: [2, 3] }, 'writeNpy', 'tensor');
 */
export function assertTensorArg(t: unknown, fn: string, name: string): Tensor {
  const what = `${fn}: ${name}`;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) {
    throw new TypeError(`${what} must be an object { data: Float32Array, shape: number[] }, got ${describeType(t)}`);
  }
  const { data, shape } = t as { data?: unknown; shape?: unknown };
  if (!util.types.isFloat32Array(data)) {
    throw new TypeError(`${what}.data must be a Float32Array, got ${describeType(data)}`);
  }
  if (!Array.isArray(shape)) {
    throw new TypeError(`${what}.shape must be an array of integers, got ${describeType(shape)}`);
  }
  let count = 1;
  let hasZero = false;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number') {
      throw new TypeError(`${what}.shape[${i}] must be a number, got ${describeType(d)}`);
    }
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${what}.shape[${i}] must be a non-negative integer, got ${d}`);
    }
    if (d === 0) hasZero = true;
    // Compared before multiplying so the product never leaves the exact-integer range.
    else if (count > Number.MAX_SAFE_INTEGER / d) count = Number.POSITIVE_INFINITY;
    else count *= d;
  }
  if (hasZero) count = 0;
  if (count !== data.length) {
    throw new RangeError(
      `${what}.shape [${shape.join(', ')}] has ${count} elements but ${name}.data has ${data.length}`,
    );
  }
  return t as Tensor;
}
