/**
 * Little-endian float32 / float64 / float16 / bfloat16 data to a fresh Float32Array.
 *
 * f16 and bf16 widen to f32 exactly (every value, subnormals, infinities and NaN payloads
 * included), so they are converted by bit manipulation rather than arithmetic. f64 narrows to the
 * nearest f32: precision beyond 24 bits is lost and magnitudes above ~3.4e38 become ±Infinity.
 */
import * as os from 'node:os';
import { bytesSource, type ByteSource } from './byte-source';

/** Element types that decode to float32. */
export type FloatDtype = 'f32' | 'f64' | 'f16' | 'bf16';

/** Bytes per element of each {@link FloatDtype}. */
export const FLOAT_ITEM_SIZE: Readonly<Record<FloatDtype, number>> = { f32: 4, f64: 8, f16: 2, bf16: 2 };

// Both file formats are little-endian; on such a host f32 bytes can be copied straight in.
const HOST_IS_LE = os.endianness() === 'LE';

// Conversions go through a bounded scratch buffer so a huge tensor never needs a raw copy.
const CHUNK_BYTES = 1 << 20;

/**
 * The float32 bit pattern of a float16 bit pattern (IEEE 754 binary16).
 *
 * @param h 16-bit pattern, 0..0xffff.
 * @returns The 32-bit pattern of the same value, as an unsigned integer.
 * @throws Never.
 * @example
 * halfBitsToFloatBits(0x3c00) === 0x3f800000; // 1.0
 */
export function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let frac = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (frac << 13)) >>> 0; // inf / NaN, payload kept
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (frac << 13)) >>> 0; // rebias 15 -> 127
  if (frac === 0) return sign >>> 0; // ±0
  // Subnormal f16 (frac * 2^-24) is a normal f32: shift the leading 1 into the implicit bit.
  let e = 113;
  while ((frac & 0x400) === 0) {
    frac <<= 1;
    e -= 1;
  }
  return (sign | (e << 23) | ((frac & 0x3ff) << 13)) >>> 0;
}

let halfTable: Uint32Array | undefined;

/** 65536 precomputed f16 -> f32 bit patterns (256 KiB), built on first use. */
function getHalfTable(): Uint32Array {
  if (halfTable === undefined) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfBitsToFloatBits(h);
  }
  return halfTable;
}

const scalarF32 = new Float32Array(1);
const scalarU32 = new Uint32Array(scalarF32.buffer);

/**
 * Converts one float16 bit pattern to its (exactly equal) number value.
 *
 * @param bits 16-bit pattern, 0..0xffff.
 * @returns The value; NaN for NaN patterns.
 * @throws Never.
 * @example
 * halfToFloat(0x0001) === 2 ** -24; // smallest subnormal
 */
export function halfToFloat(bits: number): number {
  scalarU32[0] = halfBitsToFloatBits(bits & 0xffff);
  return scalarF32[0] as number;
}

/**
 * Converts one bfloat16 bit pattern (the top half of a float32) to its number value.
 *
 * @param bits 16-bit pattern, 0..0xffff.
 * @returns The value; NaN for NaN patterns.
 * @throws Never.
 * @example
 * bfloat16ToFloat(0x3f80) === 1;
 */
export function bfloat16ToFloat(bits: number): number {
  scalarU32[0] = (bits & 0xffff) << 16;
  return scalarF32[0] as number;
}

/**
 * Reads `count` little-endian elements at `position` into a new Float32Array.
 *
 * @param src Where to read from.
 * @param position Byte offset of the first element.
 * @param count Number of elements; the caller has checked that it is allocatable.
 * @param dtype Element type stored in the source.
 * @returns A fresh array (never a view of the source), or null if the source ended early.
 * @throws RangeError only if the allocation itself fails.
 * @example
 * const a = readFloats(bytesSource(bytes), 128, 6, 'f32');
 */
export function readFloats(src: ByteSource, position: number, count: number, dtype: FloatDtype): Float32Array | null {
  const out = new Float32Array(count);
  if (dtype === 'f32' && HOST_IS_LE) {
    const raw = new Uint8Array(out.buffer);
    return src.readInto(position, raw) === raw.length ? out : null;
  }
  const itemSize = FLOAT_ITEM_SIZE[dtype];
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / itemSize));
  const scratch = new Uint8Array(Math.min(count, perChunk) * itemSize);
  const view = new DataView(scratch.buffer);
  // Writing bit patterns through a Uint32Array view keeps f16/bf16 NaN payloads intact.
  const outBits = new Uint32Array(out.buffer);
  const table = dtype === 'f16' ? getHalfTable() : undefined;
  for (let start = 0; start < count; start += perChunk) {
    const n = Math.min(perChunk, count - start);
    const bytes = scratch.subarray(0, n * itemSize);
    if (src.readInto(position + start * itemSize, bytes) !== bytes.length) return null;
    if (dtype === 'f16') {
      const t = table as Uint32Array;
      for (let i = 0; i < n; i++) outBits[start + i] = t[view.getUint16(2 * i, true)] as number;
    } else if (dtype === 'bf16') {
      for (let i = 0; i < n; i++) outBits[start + i] = view.getUint16(2 * i, true) << 16;
    } else if (dtype === 'f64') {
      for (let i = 0; i < n; i++) out[start + i] = view.getFloat64(8 * i, true);
    } else {
      // f32 on a big-endian host.
      for (let i = 0; i < n; i++) outBits[start + i] = view.getUint32(4 * i, true);
    }
  }
  return out;
}

/**
 * Decodes `count` values of `dtype` from `raw`, a buffer freshly read and handed over: f32 on a
 * little-endian host takes raw's own bytes as the result instead of copying them.
 *
 * @param raw Exactly count values' bytes; the caller keeps no other use of them.
 * @returns The float32 values.
 * @example
 * const floats = floatsFromOwnedBytes(await file.read(offset, 4 * n), n, 'f32');
 */
export function floatsFromOwnedBytes(raw: Uint8Array, count: number, dtype: FloatDtype): Float32Array {
  if (dtype === 'f32' && HOST_IS_LE && raw.byteOffset % 4 === 0 && raw.byteLength === 4 * count) return new Float32Array(raw.buffer, raw.byteOffset, count);
  return readFloats(bytesSource(raw), 0, count, dtype) as Float32Array; // the bytes are all there: never null
}

/**
 * Encodes a Float32Array as little-endian bytes into `target` at `offset`, bit-exactly.
 *
 * @param data Values to encode.
 * @param target Destination; must have room for data.byteLength bytes at offset.
 * @param offset Byte offset in target.
 * @returns Nothing.
 * @throws RangeError if target is too small.
 * @example
 * writeFloat32LE(new Float32Array([1]), out, 128);
 */
export function writeFloat32LE(data: Float32Array, target: Uint8Array, offset: number): void {
  if (HOST_IS_LE) {
    target.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  // A Float32Array's byteOffset is always a multiple of 4, so this view is legal.
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const view = new DataView(target.buffer, target.byteOffset + offset, data.byteLength);
  for (let i = 0; i < bits.length; i++) view.setUint32(4 * i, bits[i] as number, true);
}
