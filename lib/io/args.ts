/**
 * Argument checks shared by the file readers and writers (npy, safetensors, atomic-write), so they
 * report bad arguments the same way: every message starts with the public function's name.
 *
 * The writers' tensor check is not core/validation's requireTensor on purpose: writers accept
 * zero-length dimensions (numpy and safetensors can store them) even though the readers and the
 * operators refuse such arrays — writing an empty array is not an error. The element count itself
 * is core's exactElementCount.
 */
import * as util from 'node:util';
import { exactElementCount, type Tensor } from '../core/tensor';

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
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number') {
      throw new TypeError(`${what}.shape[${i}] must be a number, got ${describeType(d)}`);
    }
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${what}.shape[${i}] must be a non-negative integer, got ${d}`);
    }
  }
  const count = exactElementCount(shape as number[]);
  if (count !== data.length) {
    throw new RangeError(
      `${what}.shape [${shape.join(', ')}] has ${count} elements but ${name}.data has ${data.length}`,
    );
  }
  return t as Tensor;
}

/**
 * Checks the `path` argument of a file reader or writer: a non-empty string.
 *
 * @param path The value to check.
 * @param fn The public function being called, prefixed to the message (e.g. `readNpy`).
 * @returns Nothing.
 * @throws TypeError if path is not a non-empty string.
 * @example
 * assertPathArg('a.npy', 'readNpy');
 */
export function assertPathArg(path: unknown, fn: string): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`${fn}: path must be a non-empty string, got ${typeof path === 'string' ? 'an empty string' : describeType(path)}`);
  }
}
