/**
 * safetensors files to and from float32 Tensors.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON mapping tensor names to
 * {dtype, shape, data_offsets} (offsets relative to the end of the header) plus an optional
 * "__metadata__" string map, then the data, little-endian, C order.
 *
 * Reading converts F32, F64, F16 and BF16 tensors to float32 (F16/BF16 exactly; F64 rounded to the
 * nearest float32). Entries this package cannot represent (other dtypes, such as the I64
 * `num_batches_tracked` counters in PyTorch state dicts, and zero-size tensors) do not fail the
 * file: they are listed in `skipped`. Structural problems (bad JSON, offsets out of range,
 * overlapping tensors, sizes that disagree with shapes) fail the whole file. Gaps between tensors
 * and bytes after the last one are tolerated, as are entries listed in any order.
 */
import * as util from 'node:util';
import { MAX_ELEMENTS } from '../core/limits';
import { exactElementCount, type Tensor } from '../core/tensor';
import { writeFileAtomic } from './atomic-write';
import { bytesSource, prefixSource, withFileSource, withFileSourceAsync, type AsyncFileSource, type ByteSource } from './byte-source';
import { floatsFromOwnedBytes, readFloats, writeFloat32LE, type FloatDtype } from './float-decode';
import { IoFormatError, IoRangeError } from './io-error';
import { assertPathArg, assertTensorArg, describeType } from './args';

/** An entry that was valid but not converted; its data is left unread. */
export interface SkippedTensor {
  /** The tensor's name in the file. */
  readonly name: string;
  /** The safetensors dtype string, e.g. "I64". */
  readonly dtype: string;
  /** The declared shape ([] for a scalar). */
  readonly shape: readonly number[];
  /** Why it was skipped: a dtype other than F32/F64/F16/BF16, or a dimension of 0. */
  readonly reason: 'unsupported-dtype' | 'zero-size';
}

/** Everything read from a safetensors file. */
export interface SafetensorsContents {
  /** Converted tensors, in the order their data appears in the file. */
  readonly tensors: Map<string, Tensor>;
  /** Entries not converted, in the same order. */
  readonly skipped: SkippedTensor[];
  /** The "__metadata__" map, or {} if the file has none. */
  readonly metadata: Record<string, string>;
}

/** Largest JSON header accepted (the reference implementation uses the same bound). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Largest element count converted to a Float32Array. */
export const SAFETENSORS_MAX_ELEMENTS = MAX_ELEMENTS;

const METADATA_KEY = '__metadata__';

const FLOAT_DTYPES: Readonly<Record<string, FloatDtype>> = { F32: 'f32', F64: 'f64', F16: 'f16', BF16: 'bf16' };

// Bits per element of the dtypes the format defines, to check sizes even of entries we skip.
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

// Unknown future dtypes are tolerated (and skipped) as long as they look like dtype names.
const DTYPE_NAME = /^[A-Z][A-Z0-9_]{0,31}$/;

interface Entry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly count: number;
  readonly begin: number;
  readonly end: number;
}

/**
 * Reads a safetensors file.
 *
 * @param path File to read.
 * @returns Converted tensors, skipped entries and metadata; see {@link SafetensorsContents}.
 * @throws TypeError if path is not a non-empty string. Node's error (code 'ENOENT' etc., message
 *   naming the path) if the file cannot be opened. {@link IoFormatError} (code SAFETENSORS_* or
 *   NOT_A_FILE) if the file is malformed. {@link IoRangeError} (SAFETENSORS_TOO_LARGE) if a float
 *   tensor has more than 2^32-1 elements.
 * @example
 * const { tensors, skipped } = readSafetensors('model.safetensors');
 * const theta = tensors.get('nl.theta.weight');
 */
export function readSafetensors(path: string): SafetensorsContents {
  assertPathArg(path, 'readSafetensors');
  return withFileSource(path, (src) => decodeSafetensors(src, path));
}

/**
 * readSafetensors without blocking the event loop: the file is read with fs.promises, then
 * decoded. Same arguments, results and errors.
 *
 * @param path File to read.
 * @returns As {@link readSafetensors}.
 * @throws As {@link readSafetensors} (as a rejection).
 * @example
 * const { tensors } = await readSafetensorsAsync('model.safetensors');
 */
export async function readSafetensorsAsync(path: string): Promise<SafetensorsContents> {
  assertPathArg(path, 'readSafetensors');
  return withFileSourceAsync(path, (file) => decodeSafetensorsAsync(file, path));
}

/**
 * Decodes the bytes of a safetensors file. Results never alias `bytes`.
 *
 * @param bytes The whole file.
 * @param label Names the source in error messages (default `<bytes>`).
 * @returns As {@link readSafetensors}.
 * @throws TypeError if bytes is not a Uint8Array; otherwise as {@link readSafetensors}.
 * @example
 * const { tensors } = parseSafetensors(fs.readFileSync('m.safetensors'), 'm.safetensors');
 */
export function parseSafetensors(bytes: Uint8Array, label = '<bytes>'): SafetensorsContents {
  if (!util.types.isUint8Array(bytes)) {
    throw new TypeError(`parseSafetensors: bytes must be a Uint8Array, got ${describeType(bytes)}`);
  }
  return decodeSafetensors(bytesSource(bytes), String(label));
}

/**
 * Writes tensors as F32 to a safetensors file, atomically (the target is replaced whole or not at all).
 *
 * @param path Destination file; its directory must exist.
 * @param tensors Tensors by name.
 * @param metadata Optional string-to-string map stored as "__metadata__".
 * @returns Nothing.
 * @throws As {@link encodeSafetensors}; Node's error if the file cannot be written, in which case
 *   the target is left as it was.
 * @example
 * writeSafetensors('nl.safetensors', { 'theta.weight': { data, shape: [64, 128] } }, { format: 'pt' });
 */
export function writeSafetensors(
  path: string,
  tensors: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  metadata?: Readonly<Record<string, string>>,
): void {
  assertPathArg(path, 'writeSafetensors');
  writeFileAtomic(path, encodeChecked(tensors, metadata, 'writeSafetensors'));
}

/**
 * Encodes tensors as a safetensors file the way the reference implementation does: F32 data,
 * entries sorted by name (UTF-8 byte order) and laid out contiguously in that order, metadata
 * first with sorted keys, compact JSON padded with spaces to a multiple of 8 bytes.
 *
 * @param tensors Tensors by name (a plain object or a Map).
 * @param metadata Optional string-to-string map stored as "__metadata__".
 * @returns A new buffer holding the whole file.
 * @throws TypeError if tensors is not an object/Map, a name is not a string, a tensor is malformed
 *   (see writeNpy) or a metadata value is not a string; RangeError for a bad shape, the reserved
 *   name "__metadata__", or a name/metadata string that is not well-formed Unicode.
 * @example
 * const bytes = encodeSafetensors(new Map([['w', { data: new Float32Array(4), shape: [2, 2] }]]));
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  return encodeChecked(tensors, metadata, 'encodeSafetensors');
}

function encodeChecked(tensors: unknown, metadata: unknown, fn: string): Uint8Array {
  const entries = tensorEntries(tensors, fn);
  const meta = metadataEntries(metadata, fn);
  const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
  const byUtf8 = (a: [string, unknown], b: [string, unknown]): number => Buffer.compare(utf8(a[0]), utf8(b[0]));
  entries.sort(byUtf8);

  const parts: string[] = [];
  if (meta !== undefined) {
    meta.sort(byUtf8);
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:{"dtype":"F32","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = utf8(`{${parts.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const [, t] of entries) {
    writeFloat32LE(t.data, out, at);
    at += t.data.byteLength;
  }
  return out;
}

// In "u" mode a surrogate class matches only unpaired surrogates, which UTF-8 cannot encode.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function tensorEntries(tensors: unknown, fn: string): Array<[string, Tensor]> {
  let raw: Array<[unknown, unknown]>;
  if (util.types.isMap(tensors)) {
    raw = [...(tensors as Map<unknown, unknown>).entries()];
  } else if (typeof tensors === 'object' && tensors !== null && !Array.isArray(tensors)) {
    raw = Object.entries(tensors);
  } else {
    throw new TypeError(`${fn}: tensors must be a Map or an object of tensors by name, got ${describeType(tensors)}`);
  }
  return raw.map(([name, t]) => {
    if (typeof name !== 'string') throw new TypeError(`${fn}: tensor names must be strings, got ${describeType(name)}`);
    if (name === METADATA_KEY) throw new RangeError(`${fn}: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (LONE_SURROGATE.test(name)) throw new RangeError(`${fn}: tensor name ${JSON.stringify(name)} is not well-formed Unicode`);
    return [name, assertTensorArg(t, fn, `tensors[${JSON.stringify(name)}]`)];
  });
}

function metadataEntries(metadata: unknown, fn: string): Array<[string, string]> | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata) || util.types.isMap(metadata)) {
    throw new TypeError(`${fn}: metadata must be an object of strings, got ${describeType(metadata)}`);
  }
  return Object.entries(metadata).map(([k, v]) => {
    if (typeof v !== 'string') throw new TypeError(`${fn}: metadata[${JSON.stringify(k)}] must be a string, got ${describeType(v)}`);
    if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v)) {
      throw new RangeError(`${fn}: metadata[${JSON.stringify(k)}] is not well-formed Unicode`);
    }
    return [k, v];
  });
}

/** A parsed header: where the data section starts, the entries sorted by offset, the metadata. */
interface Layout {
  readonly dataStart: number;
  readonly entries: Entry[];
  readonly metadata: Record<string, string>;
}

function failer(label: string): Fail {
  return (code, detail) => {
    throw new IoFormatError(code, label, detail);
  };
}

/** Reads and checks the header (the only bytes it reads are the length and the JSON). */
function readLayout(src: ByteSource, label: string): Layout {
  const fail = failer(label);
  if (src.size < 8) fail('SAFETENSORS_TRUNCATED', `is truncated: ${src.size} bytes, shorter than the 8-byte header length`);
  const lenBytes = new Uint8Array(8);
  src.readInto(0, lenBytes);
  const headerLen = new DataView(lenBytes.buffer).getBigUint64(0, true);
  if (headerLen > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail('SAFETENSORS_HEADER_TOO_LARGE', `header length ${headerLen} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLen);
  if (n > src.size - 8) fail('SAFETENSORS_TRUNCATED', `is truncated: header length ${n} but only ${src.size - 8} bytes follow it`);
  const dataStart = 8 + n;
  const dataLen = src.size - dataStart;

  const raw = new Uint8Array(n);
  src.readInto(8, raw);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw));
  } catch (e) {
    fail('SAFETENSORS_BAD_HEADER', `header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('SAFETENSORS_BAD_HEADER', `header must be a JSON object, got ${describeType(header)}`);
  }

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(header as object)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(name, value, dataLen, fail));
  }
  checkNoOverlap(entries, fail);
  return { dataStart, entries, metadata };
}

/**
 * The float dtype an entry converts from, or why it is skipped instead. A float tensor with more
 * elements than a Float32Array can hold is an error, not a skip.
 */
function conversionOf(e: Entry, label: string): { dtype: FloatDtype } | { skip: SkippedTensor['reason'] } {
  const dtype = FLOAT_DTYPES[e.dtype];
  if (dtype === undefined) return { skip: 'unsupported-dtype' };
  if (e.count === 0) return { skip: 'zero-size' };
  if (e.count > SAFETENSORS_MAX_ELEMENTS) {
    throw new IoRangeError('SAFETENSORS_TOO_LARGE', label, `tensor ${JSON.stringify(e.name)} has ${e.count} elements, more than the supported ${SAFETENSORS_MAX_ELEMENTS}`);
  }
  return { dtype };
}

/** Converts every entry, its floats read by `read` (null: the file ended early, it shrank). */
function decodeTensors(layout: Layout, label: string, read: (e: Entry, dtype: FloatDtype) => Float32Array | null): SafetensorsContents {
  const tensors = new Map<string, Tensor>();
  const skipped: SkippedTensor[] = [];
  for (const e of layout.entries) {
    const how = conversionOf(e, label);
    if ('skip' in how) {
      skipped.push({ name: e.name, dtype: e.dtype, shape: e.shape, reason: how.skip });
      continue;
    }
    const data = read(e, how.dtype);
    if (data === null) failer(label)('SAFETENSORS_TRUNCATED', `is truncated: data of tensor ${JSON.stringify(e.name)} ends early (the file shrank while being read)`);
    tensors.set(e.name, { data: data as Float32Array, shape: e.shape });
  }
  return { tensors, skipped, metadata: layout.metadata };
}

function decodeSafetensors(src: ByteSource, label: string): SafetensorsContents {
  const layout = readLayout(src, label);
  return decodeTensors(layout, label, (e, dtype) => readFloats(src, layout.dataStart + e.begin, e.count, dtype));
}

/**
 * The same decoding with every read awaited: the header first (its length, then the JSON, as
 * readLayout will ask for them), then each converted tensor's bytes, one tensor at a time — so
 * the file is never held whole beside its decoded tensors, and no read is limited to 2 GiB.
 */
async function decodeSafetensorsAsync(file: AsyncFileSource, label: string): Promise<SafetensorsContents> {
  const lenBytes = await file.read(0, Math.min(8, file.size));
  const headerLen = lenBytes.length === 8 ? new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true) : 0n;
  // Only a header readLayout will accept is read; for any other, it fails on the 8 bytes alone.
  const plausible = headerLen <= BigInt(SAFETENSORS_MAX_HEADER_BYTES) && Number(headerLen) <= file.size - 8;
  const head = plausible ? await file.read(0, 8 + Number(headerLen)) : lenBytes;
  const layout = readLayout(prefixSource(head, file.size), label);
  const floats = new Map<Entry, Float32Array | null>();
  for (const e of layout.entries) {
    const how = conversionOf(e, label);
    if ('skip' in how) continue;
    const raw = await file.read(layout.dataStart + e.begin, e.end - e.begin);
    floats.set(e, raw.length === e.end - e.begin ? floatsFromOwnedBytes(raw, e.count, how.dtype) : null);
  }
  return decodeTensors(layout, label, (e) => floats.get(e) ?? null);
}

type Fail = (code: ConstructorParameters<typeof IoFormatError>[0], detail: string) => never;

function parseMetadata(value: unknown, fail: Fail): Record<string, string> {
  // The reference implementation treats "__metadata__": null like an absent map.
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('SAFETENSORS_BAD_METADATA', `"${METADATA_KEY}" must be an object of strings, got ${describeType(value)}`);
  }
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(value as object)) {
    if (typeof v !== 'string') fail('SAFETENSORS_BAD_METADATA', `"${METADATA_KEY}"[${JSON.stringify(k)}] must be a string, got ${describeType(v)}`);
    out.push([k, v as string]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data and not a prototype.
  return Object.fromEntries(out);
}

function parseEntry(name: string, value: unknown, dataLen: number, fail: Fail): Entry {
  const what = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('SAFETENSORS_BAD_ENTRY', `${what} must be an object {dtype, shape, data_offsets}, got ${describeType(value)}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) fail('SAFETENSORS_BAD_ENTRY', `${what} is missing "${key}"`);
  }
  for (const key of Object.keys(obj)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail('SAFETENSORS_BAD_ENTRY', `${what} has unexpected key ${JSON.stringify(key)}`);
  }
  const { dtype, shape, data_offsets: offsets } = obj;
  if (typeof dtype !== 'string' || !DTYPE_NAME.test(dtype)) {
    fail('SAFETENSORS_BAD_ENTRY', `${what} has invalid dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail('SAFETENSORS_BAD_ENTRY', `${what} has invalid shape ${JSON.stringify(shape)} (must be an array of non-negative integers)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number')) {
    fail('SAFETENSORS_BAD_ENTRY', `${what} has invalid data_offsets ${JSON.stringify(offsets)} (must be [begin, end])`);
  }
  const dims = shape as number[];
  const [begin, end] = offsets as [number, number];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < 0) {
    fail('SAFETENSORS_BAD_OFFSETS', `${what} has data_offsets [${begin}, ${end}] that are not non-negative integers`);
  }
  if (begin > end) fail('SAFETENSORS_BAD_OFFSETS', `${what} has data_offsets [${begin}, ${end}] with begin after end`);
  if (end > dataLen) {
    fail('SAFETENSORS_BAD_OFFSETS', `${what} has data_offsets [${begin}, ${end}] beyond the ${dataLen}-byte data section (truncated file?)`);
  }
  const count = exactElementCount(dims);
  const bits = DTYPE_BITS[dtype as string];
  if (bits !== undefined) {
    const bytes = (count * bits) / 8;
    if (bytes !== end - begin) {
      fail('SAFETENSORS_BAD_OFFSETS', `${what} of dtype ${dtype as string} and shape [${dims.join(', ')}] needs ${bytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
  }
  return { name, dtype: dtype as string, shape: [...dims], count, begin, end };
}

/** Sorts entries by offset (in place) and rejects any two that share a byte. */
function checkNoOverlap(entries: Entry[], fail: Fail): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let reach: Entry | undefined; // the non-empty entry reaching furthest so far
  for (const e of entries) {
    if (e.begin === e.end) continue; // an empty range shares no bytes
    if (reach !== undefined && e.begin < reach.end) {
      fail('SAFETENSORS_OVERLAP', `tensors ${JSON.stringify(reach.name)} [${reach.begin}, ${reach.end}] and ${JSON.stringify(e.name)} [${e.begin}, ${e.end}] overlap`);
    }
    if (reach === undefined || e.end > reach.end) reach = e;
  }
}
