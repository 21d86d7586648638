/**
 * numpy .npy files (format versions 1.0, 2.0 and 3.0) to and from float32 Tensors.
 *
 * Reading accepts little-endian float32 ('<f4') and float64 ('<f8', narrowed to float32: values
 * are rounded to the nearest float32, precision beyond 24 significant bits is lost and magnitudes
 * above ~3.4e38 become ±Infinity). Everything else is refused with a message saying how to convert
 * the array in numpy. Writing produces exactly the bytes numpy's np.save writes for a C-ordered
 * '<f4' array.
 */
import * as util from 'node:util';
import { MAX_ELEMENTS } from '../core/limits';
import { exactElementCount, type Tensor } from '../core/tensor';
import { writeFileAtomic } from './atomic-write';
import { bytesSource, withFileSource, type ByteSource } from './byte-source';
import { readFloats, writeFloat32LE, type FloatDtype } from './float-decode';
import { IoFormatError, IoRangeError } from './io-error';
import { formatPyLiteral, parsePyDict, type PyLiteral } from './npy-header';
import { assertPathArg, assertTensorArg, describeType } from './args';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Largest header length field accepted; numpy itself refuses headers over 10000 characters. */
export const NPY_MAX_HEADER_BYTES = 1 << 20;

/** Largest element count returned (the Float32Array length limit the package promises). */
export const NPY_MAX_ELEMENTS = MAX_ELEMENTS;

// numpy pads magic + length + header to this, and leaves room to grow the first axis in place.
const ARRAY_ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;

const DTYPES: Readonly<Record<string, FloatDtype>> = { '<f4': 'f32', '<f8': 'f64' };

/** What a header says, once validated. */
interface NpyLayout {
  readonly dtype: FloatDtype;
  readonly shape: number[];
  readonly count: number;
  readonly dataOffset: number;
}

/**
 * Reads a .npy file into a float32 Tensor. '<f8' data is rounded to the nearest float32
 * (precision beyond 24 significant bits is lost; |x| > ~3.4e38 becomes ±Infinity).
 *
 * @param path File to read.
 * @returns A fresh Tensor (never aliasing any file buffer); a 0-d array has shape [] and one element.
 * @throws TypeError if path is not a non-empty string. Node's error (code 'ENOENT' etc., message
 *   naming the path) if the file cannot be opened. {@link IoFormatError} (code NPY_* or
 *   NOT_A_FILE) if the file is malformed or an unsupported variant. {@link IoRangeError} (code
 *   NPY_ZERO_SIZE or NPY_TOO_LARGE) if the array is empty or has more than 2^32-1 elements.
 * @example
 * const { data, shape } = readNpy('weights/theta.npy'); // shape [64, 128]
 */
export function readNpy(path: string): Tensor {
  assertPathArg(path, 'readNpy');
  return withFileSource(path, (src) => decodeNpy(src, path));
}

/**
 * Decodes the bytes of a .npy file. The result never aliases `bytes`.
 *
 * @param bytes The whole file.
 * @param label Names the source in error messages (default `<bytes>`).
 * @returns A fresh Tensor.
 * @throws TypeError if bytes is not a Uint8Array; otherwise as {@link readNpy}.
 * @example
 * const t = parseNpy(fs.readFileSync('x.npy'), 'x.npy');
 */
export function parseNpy(bytes: Uint8Array, label = '<bytes>'): Tensor {
  if (!util.types.isUint8Array(bytes)) {
    throw new TypeError(`parseNpy: bytes must be a Uint8Array, got ${describeType(bytes)}`);
  }
  return decodeNpy(bytesSource(bytes), String(label));
}

/**
 * Writes a Tensor as a version 1.0 '<f4' .npy file, atomically (the target is replaced whole or
 * not at all). Zero-size tensors are written although {@link readNpy} refuses them.
 *
 * @param path Destination file; its directory must exist.
 * @param tensor The tensor to write.
 * @returns Nothing.
 * @throws TypeError/RangeError naming the bad argument (see {@link encodeNpy}); Node's error if the
 *   file cannot be written, in which case the target is left as it was.
 * @example
 * writeNpy('out.npy', { data: new Float32Array([1, 2, 3]), shape: [3] });
 */
export function writeNpy(path: string, tensor: Tensor): void {
  assertPathArg(path, 'writeNpy');
  writeFileAtomic(path, encodeNpyChecked(tensor, 'writeNpy'));
}

/**
 * Encodes a Tensor as the bytes numpy's np.save writes for the same C-ordered '<f4' array:
 * format 1.0 (2.0 if the header exceeds 65535 bytes), header padded to a multiple of 64 bytes.
 *
 * @param tensor Float32Array data and a shape of non-negative integers whose product is its length.
 * @returns A new buffer holding the whole file.
 * @throws TypeError if tensor, tensor.data or tensor.shape has the wrong type; RangeError if a
 *   dimension is negative or fractional or the shape does not match the data length.
 * @example
 * const bytes = encodeNpy({ data: new Float32Array(6), shape: [2, 3] }); // 152 bytes
 */
export function encodeNpy(tensor: Tensor): Uint8Array {
  return encodeNpyChecked(tensor, 'encodeNpy');
}

function encodeNpyChecked(tensor: Tensor, fn: string): Uint8Array {
  const { data, shape } = assertTensorArg(tensor, fn, 'tensor');
  const header = npyHeaderText(shape);
  // numpy always adds padding (a full 64 bytes when already aligned); mirror it byte for byte.
  let prefixLen = 10;
  let padded = header.length + 1 + ARRAY_ALIGN - ((prefixLen + header.length + 1) % ARRAY_ALIGN);
  if (padded > 0xffff) {
    prefixLen = 12;
    padded = header.length + 1 + ARRAY_ALIGN - ((prefixLen + header.length + 1) % ARRAY_ALIGN);
  }
  const out = new Uint8Array(prefixLen + padded + data.byteLength);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  out[6] = prefixLen === 10 ? 1 : 2;
  out[7] = 0;
  if (prefixLen === 10) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.fill(0x20, prefixLen, prefixLen + padded - 1);
  for (let i = 0; i < header.length; i++) out[prefixLen + i] = header.charCodeAt(i); // ASCII only
  out[prefixLen + padded - 1] = 0x0a;
  writeFloat32LE(data, out, prefixLen + padded);
  return out;
}

/** The dict text numpy writes (keys sorted, Python tuple repr, growth-axis spaces), unpadded. */
function npyHeaderText(shape: readonly number[]): string {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  return shape.length === 0 ? dict : dict + ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length);
}

function decodeNpy(src: ByteSource, label: string): Tensor {
  const layout = readLayout(src, label);
  const expected = layout.count * (layout.dtype === 'f64' ? 8 : 4);
  const available = src.size - layout.dataOffset;
  if (available < expected) {
    throw new IoFormatError('NPY_TRUNCATED', label, `data is truncated: shape (${layout.shape.join(', ')}) needs ${expected} bytes but only ${available} follow the header`);
  }
  if (available > expected) {
    throw new IoFormatError('NPY_TRAILING_DATA', label, `has ${available - expected} unexpected bytes after the ${expected} bytes of data`);
  }
  const data = readFloats(src, layout.dataOffset, layout.count, layout.dtype);
  if (data === null) throw new IoFormatError('NPY_TRUNCATED', label, 'data is truncated (the file shrank while being read)');
  return { data, shape: layout.shape };
}

/** Reads and validates magic, version and header; nothing is allocated for the data yet. */
function readLayout(src: ByteSource, label: string): NpyLayout {
  const prefix = new Uint8Array(12);
  const got = src.readInto(0, prefix.subarray(0, Math.min(12, src.size)));
  for (let i = 0; i < Math.min(got, MAGIC.length); i++) {
    if (prefix[i] !== MAGIC[i]) throw new IoFormatError('NPY_BAD_MAGIC', label, 'is not a .npy file (it does not start with "\\x93NUMPY")');
  }
  if (got < 8) throw new IoFormatError('NPY_TRUNCATED', label, `is truncated: ${got} bytes, too short for the .npy magic and version`);
  const major = prefix[6] as number;
  const minor = prefix[7] as number;
  if (major < 1 || major > 3 || minor !== 0) {
    throw new IoFormatError('NPY_BAD_VERSION', label, `has unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenSize = major === 1 ? 2 : 4;
  if (got < 8 + lenSize) throw new IoFormatError('NPY_TRUNCATED', label, `is truncated: ${got} bytes, too short for the header length`);
  const view = new DataView(prefix.buffer);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > NPY_MAX_HEADER_BYTES) {
    throw new IoFormatError('NPY_HEADER_TOO_LARGE', label, `header length ${headerLen} exceeds the ${NPY_MAX_HEADER_BYTES}-byte limit`);
  }
  const dataOffset = 8 + lenSize + headerLen;
  if (dataOffset > src.size) {
    throw new IoFormatError('NPY_TRUNCATED', label, `is truncated: the header needs ${headerLen} bytes but only ${src.size - 8 - lenSize} follow the length field`);
  }
  const raw = new Uint8Array(headerLen);
  src.readInto(8 + lenSize, raw);
  const text = decodeHeaderText(raw, major, label);
  const dict = parsePyDict(text, label, { allowLongSuffix: major < 3 });
  return { ...interpretHeader(dict, label), dataOffset };
}

function decodeHeaderText(raw: Uint8Array, major: number, label: string): string {
  if (major < 3) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  try {
    // ignoreBOM keeps a BOM in the text (Python would not strip it either), so it fails parsing.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new IoFormatError('NPY_BAD_HEADER', label, 'version 3.0 header is not valid UTF-8');
  }
}

function interpretHeader(dict: Map<string, PyLiteral>, label: string): Omit<NpyLayout, 'dataOffset'> {
  for (const key of dict.keys()) {
    if (key !== 'descr' && key !== 'fortran_order' && key !== 'shape') {
      throw new IoFormatError('NPY_BAD_HEADER', label, `header has unexpected key '${key}' (expected exactly 'descr', 'fortran_order', 'shape')`);
    }
  }
  const need = (key: string): PyLiteral => {
    const v = dict.get(key);
    if (v === undefined) throw new IoFormatError('NPY_BAD_HEADER', label, `header is missing key '${key}'`);
    return v;
  };
  const shape = interpretShape(need('shape'), label);
  const dtype = interpretDescr(need('descr'), label);
  const fortran = need('fortran_order');
  if (fortran.kind !== 'bool') {
    throw new IoFormatError('NPY_BAD_HEADER', label, `fortran_order must be True or False, got ${formatPyLiteral(fortran)}`);
  }
  if (fortran.value) {
    throw new IoFormatError('NPY_FORTRAN_ORDER', label, 'is stored in Fortran (column-major) order, which is not supported; save np.ascontiguousarray(arr) instead');
  }
  return { dtype, shape, count: elementCount(shape, label) };
}

function interpretShape(v: PyLiteral, label: string): number[] {
  if (v.kind !== 'tuple') throw new IoFormatError('NPY_BAD_SHAPE', label, `shape must be a tuple of integers, got ${formatPyLiteral(v)}`);
  return v.items.map((item, i) => {
    const dim = item.kind === 'int' ? Number(item.text) : Number.NaN;
    if (item.kind !== 'int' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new IoFormatError('NPY_BAD_SHAPE', label, `shape ${formatPyLiteral(v)} has an invalid dimension ${formatPyLiteral(item)} at index ${i} (dimensions must be non-negative integers)`);
    }
    return dim;
  });
}

function interpretDescr(v: PyLiteral, label: string): FloatDtype {
  if (v.kind !== 'str') {
    const what = v.kind === 'list' ? 'a structured dtype' : formatPyLiteral(v);
    throw new IoFormatError('NPY_UNSUPPORTED_DTYPE', label, `has ${what}, which is not supported; only '<f4' and '<f8' are (convert with arr.astype('<f4'))`);
  }
  const dtype = DTYPES[v.value];
  if (dtype !== undefined) return dtype;
  if (v.value === '>f4' || v.value === '>f8') {
    throw new IoFormatError('NPY_BIG_ENDIAN', label, `has big-endian dtype '${v.value}', which is not supported; convert with arr.astype('<f4')`);
  }
  throw new IoFormatError('NPY_UNSUPPORTED_DTYPE', label, `has dtype '${v.value}', which is not supported; only '<f4' and '<f8' are (convert with arr.astype('<f4'))`);
}

function elementCount(shape: readonly number[], label: string): number {
  const text = `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  if (shape.includes(0)) {
    throw new IoRangeError('NPY_ZERO_SIZE', label, `has shape ${text} with no elements; zero-size arrays are not supported`);
  }
  const count = exactElementCount(shape);
  if (count === Number.POSITIVE_INFINITY) {
    throw new IoFormatError('NPY_BAD_SHAPE', label, `shape ${text} has more elements than can be counted exactly`);
  }
  if (count > NPY_MAX_ELEMENTS) {
    throw new IoRangeError('NPY_TOO_LARGE', label, `shape ${text} has ${count} elements, more than the supported ${NPY_MAX_ELEMENTS}`);
  }
  return count;
}
