/**
 * Argument checks shared by every public function, in the manner of sharp's lib/is.mjs: small
 * predicates plus error factories whose messages name the argument, what was expected and what was
 * received. Typed arrays are recognised with util.types, never `instanceof`, so arrays from another
 * realm (Jest's vm contexts, worker threads) are accepted.
 */
import { types } from 'node:util';

import { MAX_ELEMENTS } from './limits';
import { AFFINITIES, formatShape, type Affinity, type Tensor } from './tensor';

/** A short, safe description of any value for error messages: `Float64Array(6)`, `string "x"`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    const name = Object.prototype.toString.call(value).slice(8, -1);
    return 'length' in value ? `${name}(${(value as unknown as { length: number }).length})` : name;
  }
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'function';
  return typeof value === 'object' ? 'object' : typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

export function isFloat32Array(value: unknown): value is Float32Array {
  return types.isFloat32Array(value);
}

export function isUint8Array(value: unknown): value is Uint8Array {
  return types.isUint8Array(value);
}

/**
 * True when the typed array's buffer has been transferred away (its memory is gone). Node 20 has
 * no `ArrayBuffer.prototype.detached`, but constructing any view on a detached buffer throws.
 */
export function isDetached(array: ArrayBufferView): boolean {
  if (array.byteLength !== 0) return false;
  const flag = (array.buffer as ArrayBuffer & { detached?: boolean }).detached;
  if (typeof flag === 'boolean') return flag;
  try {
    new Uint8Array(array.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function typeError(name: string, expected: string, received: unknown): TypeError {
  return new TypeError(`${name} must be ${expected}, got ${describe(received)}`);
}

export function rangeError(message: string): RangeError {
  return new RangeError(message);
}

/**
 * Checks that `value` is a `{ data: Float32Array, shape }` tensor whose shape is an array of
 * positive safe integers whose product equals `data.length`; returns it with a copied shape.
 * An onnxruntime-node Tensor (`{ type: 'float32', data, dims }`) is accepted as it is: `dims`
 * stands in for `shape`, and its data is used without a copy.
 */
export function requireTensor(value: unknown, name: string): Tensor {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Array.isArray(value)) {
    throw typeError(name, 'a tensor { data: Float32Array, shape: number[] }', value);
  }
  const { data, shape: ownShape, dims, type } = value as { data?: unknown; shape?: unknown; dims?: unknown; type?: unknown };
  if (type !== undefined && type !== 'float32') throw typeError(`${name}.type`, "'float32' (an onnxruntime Tensor of another type)", type);
  const shape = ownShape === undefined && dims !== undefined ? dims : ownShape;
  const shapeName = ownShape === undefined && dims !== undefined ? `${name}.dims` : `${name}.shape`;
  if (!isFloat32Array(data)) throw typeError(`${name}.data`, 'a Float32Array', data);
  if (!Array.isArray(shape)) throw typeError(shapeName, 'an array of positive integers', shape);
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number') throw typeError(`${shapeName}[${i}]`, 'a positive integer', d);
    if (!Number.isSafeInteger(d) || d < 1) {
      throw rangeError(`${shapeName}[${i}] must be a positive integer, got ${String(d)} (shape ${formatShape(shape)})`);
    }
    size *= d;
    if (size > MAX_ELEMENTS) {
      throw rangeError(`${shapeName} ${formatShape(shape)} has more than 2^32 − 1 elements`);
    }
  }
  if (isDetached(data) && size > 0) {
    throw rangeError(`${name}.data is detached (its ArrayBuffer was transferred), but ${shapeName} ${formatShape(shape)} needs ${size} elements`);
  }
  if (data.length !== size) {
    throw rangeError(`${name}.data has ${data.length} elements but ${shapeName} ${formatShape(shape)} needs ${size}`);
  }
  return { data, shape: shape.slice() as number[] };
}

/**
 * The options argument of a public call: `undefined` (no options) or a plain object holding only
 * names in `known`; returns it (or `{}`).
 */
export function requireOptions<T extends object>(options: unknown, known: readonly string[]): T & Record<string, unknown> {
  if (options === undefined) return {} as T & Record<string, unknown>;
  if (!isPlainObject(options)) throw typeError('options', 'a plain object', options);
  rejectUnknownOptions(options, known, 'options');
  return options as T & Record<string, unknown>;
}

/** Synchronous calls take no `options.signal`: it names the async function that does. */
export function refuseSignal(options: { signal?: unknown } | undefined, asyncName: string): void {
  if (options?.signal !== undefined) throw new TypeError(`options.signal applies to ${asyncName} only (a synchronous call cannot be interrupted)`);
}

/** An affinity name (one of AFFINITIES); `name` is the option it came from, e.g. 'options.mode'. */
export function requireAffinity(value: unknown, name: string): Affinity {
  if (typeof value !== 'string' || !(AFFINITIES as readonly string[]).includes(value)) {
    throw typeError(name, `one of ${AFFINITIES.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as Affinity;
}

/** Rejects option names that are not in `known`, suggesting the closest one. */
export function rejectUnknownOptions(options: Record<string, unknown>, known: readonly string[], name: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const hint = closest(key, known);
    throw new TypeError(`${name}.${key} is not an option${hint ? ` (did you mean '${hint}'?)` : ''}; known options: ${known.join(', ')}`);
  }
}

/** The candidate within edit distance 3 (case-insensitive) of `word`, if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** True when two views share at least one byte of memory. */
export function sharesMemory(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Checks a caller's preallocated output (`options.out`): a Float32Array of exactly `size` elements
 * that shares no memory with any of `inputs`. `expected` describes it for the TypeError.
 */
export function requireOut(value: unknown, size: number, shape: readonly number[], expected: string, inputs: [string, ArrayBufferView | null][]): Float32Array {
  if (!isFloat32Array(value)) throw typeError('options.out', expected, value);
  if (value.length !== size) throw rangeError(`options.out has ${value.length} elements but the output ${formatShape(shape)} needs ${size}`);
  for (const [name, data] of inputs) {
    if (data !== null && sharesMemory(value, data)) throw rangeError(`options.out must not share memory with ${name}`);
  }
  return value;
}
