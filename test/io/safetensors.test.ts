import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsAsync,
  writeSafetensors,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsContents,
} from '../../lib/io/safetensors';
import { bfloat16ToFloat, halfBitsToFloatBits, halfToFloat } from '../../lib/io/float-decode';
import { IoRangeError } from '../../lib/io/io-error';
import type { Tensor } from '../../lib/core/tensor';
import { bitsOf, concat, decodeError, f32Bits, fixtureBytes, listDir, makeTempDir, stFixture, stPath, toNumbers } from './fixtures';

const tmp = makeTempDir('st');

/** A safetensors file from a header (object or raw JSON text) and data bytes. */
function st(header: unknown, data: ArrayLike<number> = [], opts: { len?: bigint } = {}): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, opts.len ?? BigInt(json.length), true);
  return concat(len, json, data);
}

const entry = (dtype: string, shape: number[], begin: number, end: number): object => ({ dtype, shape, data_offsets: [begin, end] });
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const u16 = (...v: number[]): Uint8Array => new Uint8Array(Uint16Array.from(v).buffer);

function tensorsOf(file: string): Record<string, Tensor> {
  return Object.fromEntries(readSafetensors(stPath(file)).tensors);
}

describe('readSafetensors on files written by the reference implementation', () => {
  test.each(['f32_meta.safetensors', 'f32_nometa.safetensors', 'names.safetensors'])('%s: every tensor bit-exact, metadata kept', (file) => {
    const fx = stFixture(file);
    const got = readSafetensors(stPath(file));
    expect(got.skipped).toEqual([]);
    expect(got.metadata).toEqual(fx.metadata);
    expect([...got.tensors.keys()].sort()).toEqual(Object.keys(fx.tensors).sort());
    for (const [name, want] of Object.entries(fx.tensors)) {
      const t = got.tensors.get(name) as Tensor;
      expect(t.shape).toEqual(want.shape);
      expect(bitsOf(t.data)).toEqual(f32Bits(toNumbers(want.values ?? [])));
    }
  });

  test('tensors come back in file (offset) order', () => {
    expect([...readSafetensors(stPath('names.safetensors')).tensors.keys()]).toEqual(['Z', 'a', 'q"b\\s\n\u0001', '\uff5a', '\u{1F600}']);
  });

  test('a PyTorch-like state dict: the I64 num_batches_tracked and a zero-size tensor are skipped, not fatal', () => {
    const fx = stFixture('state_dict.safetensors');
    const got = readSafetensors(stPath('state_dict.safetensors'));
    expect(got.metadata).toEqual({ format: 'pt' });
    expect(got.skipped).toEqual([
      { name: 'bn.num_batches_tracked', dtype: 'I64', shape: [], reason: 'unsupported-dtype' },
      { name: 'empty', dtype: 'F32', shape: [0, 3], reason: 'zero-size' },
    ]);
    expect([...got.tensors.keys()].sort()).toEqual(['bn.running_mean', 'bn.weight', 'conv.weight', 'fc.weight']);
    for (const name of got.tensors.keys()) {
      const want = fx.tensors[name] as { shape: number[]; values: number[] };
      const t = got.tensors.get(name) as Tensor;
      expect(t.shape).toEqual(want.shape);
      // F16 widens exactly; F64 rounds to the nearest float32.
      expect(bitsOf(t.data)).toEqual(f32Bits(toNumbers(want.values).map(Math.fround)));
    }
    expect((got.tensors.get('fc.weight') as Tensor).data[2]).toBe(Infinity); // 1e39 overflows f32
  });

  test("F16 decoding matches numpy's float16 -> float32 bit for bit (subnormals, inf, NaN payloads)", () => {
    const got = readSafetensors(stPath('f16_table.safetensors'));
    const half = got.tensors.get('half') as Tensor;
    const expected = got.tensors.get('expected') as Tensor;
    expect(half.shape).toEqual(expected.shape);
    expect(bitsOf(half.data)).toEqual(bitsOf(expected.data));
  });

  test('results never alias the input bytes', () => {
    const bytes = fixtureBytes(stPath('f32_meta.safetensors'));
    const got = parseSafetensors(bytes);
    const before = [...got.tensors.values()].map((t) => bitsOf(t.data));
    bytes.fill(0);
    expect([...got.tensors.values()].map((t) => bitsOf(t.data))).toEqual(before);
    for (const t of got.tensors.values()) expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
  });

  test('a missing file names the path and keeps ENOENT', () => {
    const p = path.join(tmp, 'nope.safetensors');
    expect(() => readSafetensors(p)).toThrow(p);
    expect(() => readSafetensors(p)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => readSafetensors('')).toThrow(TypeError);
    expect(() => parseSafetensors('x' as unknown as Uint8Array)).toThrow(/parseSafetensors: bytes must be a Uint8Array, got string/);
  });
});

describe('float16 / bfloat16 conversion', () => {
  test.each<[number, number]>([
    [0x0000, 0],
    [0x8000, -0],
    [0x0001, 2 ** -24],
    [0x8001, -(2 ** -24)],
    [0x0200, 2 ** -15],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0x3555, 0.333251953125],
    [0x3bff, 0.99951171875],
    [0x3c00, 1],
    [0x3c01, 1.0009765625],
    [0xc000, -2],
    [0x7bff, 65504],
    [0xfbff, -65504],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('halfToFloat(%i) is exact', (bits, value) => {
    expect(Object.is(halfToFloat(bits), value)).toBe(true);
  });

  test('NaN patterns stay NaN and keep sign and payload', () => {
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(halfToFloat(0x7c01)).toBeNaN();
    expect(halfBitsToFloatBits(0xfe00)).toBe(0xffc00000);
    expect(halfBitsToFloatBits(0x7c01)).toBe(0x7f802000);
  });

  test('all 65536 float16 patterns agree with an independent arithmetic definition', () => {
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      const want = exp === 0 ? sign * frac * 2 ** -24 : exp === 31 ? (frac ? NaN : sign * Infinity) : sign * (1 + frac / 1024) * 2 ** (exp - 15);
      const got = halfToFloat(h);
      if (!Object.is(got, want)) throw new Error(`0x${h.toString(16)}: got ${got}, want ${want}`);
    }
  });

  test.each<[number, number]>([
    [0x0000, 0],
    [0x8000, -0],
    [0x3f80, 1],
    [0xbf80, -1],
    [0x4049, 3.140625],
    [0x0001, 2 ** -133],
    [0x0080, 2 ** -126],
    [0x7f7f, 3.3895313892515355e38],
    [0x7f80, Infinity],
    [0xff80, -Infinity],
  ])('bfloat16ToFloat(%i) is exact', (bits, value) => {
    expect(Object.is(bfloat16ToFloat(bits), value)).toBe(true);
  });

  test('BF16 tensors decode to the top 16 bits of float32, NaN payloads included', () => {
    const patterns = [0x0000, 0x8000, 0x3f80, 0xbf80, 0x4049, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0xffc1];
    const bytes = st({ w: entry('BF16', [patterns.length], 0, 2 * patterns.length) }, u16(...patterns));
    const t = parseSafetensors(bytes).tensors.get('w') as Tensor;
    expect(bitsOf(t.data)).toEqual(patterns.map((b) => (b << 16) >>> 0));
  });

  test('F16 tensors larger than one conversion chunk decode correctly', () => {
    const n = 600_000; // 1.2 MB of f16, more than the 1 MiB scratch chunk
    const halves = new Uint16Array(n).map((_, i) => i % 65536);
    const bytes = st({ w: entry('F16', [n], 0, 2 * n) }, new Uint8Array(halves.buffer));
    const t = parseSafetensors(bytes).tensors.get('w') as Tensor;
    const bits = new Uint32Array(t.data.buffer);
    for (let i = 0; i < n; i += 997) expect(bits[i]).toBe(halfBitsToFloatBits(i % 65536));
    expect(bits[n - 1]).toBe(halfBitsToFloatBits((n - 1) % 65536));
  });
});

describe('structural validation', () => {
  const ok = { a: entry('F32', [2], 0, 8) };

  test('shorter than the length prefix', () => {
    for (let n = 0; n < 8; n++) {
      const e = decodeError(() => parseSafetensors(new Uint8Array(n), 's.st'));
      expect(e.code).toBe('SAFETENSORS_TRUNCATED');
      expect(e.message).toBe(`s.st: is truncated: ${n} bytes, shorter than the 8-byte header length`);
    }
  });

  test('oversized header lengths are refused before allocating', () => {
    const big = st(ok, f32(1, 2), { len: BigInt(SAFETENSORS_MAX_HEADER_BYTES + 1) });
    expect(() => parseSafetensors(big)).toThrow(`header length ${SAFETENSORS_MAX_HEADER_BYTES + 1} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
    expect(decodeError(() => parseSafetensors(big)).code).toBe('SAFETENSORS_HEADER_TOO_LARGE');
    const huge = st(ok, f32(1, 2), { len: 0xffff_ffff_ffff_ffffn });
    expect(() => parseSafetensors(huge)).toThrow('header length 18446744073709551615 exceeds');
  });

  test('a header length past the end of the file is truncation', () => {
    const bytes = st(ok, [], { len: 1000n });
    expect(() => parseSafetensors(bytes)).toThrow(/is truncated: header length 1000 but only \d+ bytes follow it/);
    expect(decodeError(() => parseSafetensors(bytes)).code).toBe('SAFETENSORS_TRUNCATED');
  });

  test.each<[string, unknown, RegExp]>([
    ['invalid JSON', '{"a": ', /header is not valid UTF-8 JSON/],
    ['an empty header', '', /header is not valid UTF-8 JSON/],
    ['a JSON array', '[1, 2]', /header must be a JSON object, got Array/],
    ['JSON null', 'null', /header must be a JSON object, got null/],
    ['a JSON string', '"x"', /header must be a JSON object, got string/],
  ])('%s -> SAFETENSORS_BAD_HEADER', (_name, header, message) => {
    const bytes = st(header);
    expect(() => parseSafetensors(bytes, 'h.st')).toThrow(message);
    expect(decodeError(() => parseSafetensors(bytes)).code).toBe('SAFETENSORS_BAD_HEADER');
  });

  test('invalid UTF-8 in the header -> SAFETENSORS_BAD_HEADER', () => {
    const bytes = st('{"a\u00e9": 1}');
    bytes[11] = 0xc3;
    bytes[12] = 0x28; // an invalid continuation byte
    expect(() => parseSafetensors(bytes)).toThrow(/header is not valid UTF-8 JSON/);
  });

  test.each<[string, object, RegExp]>([
    ['not an object', { a: 5 }, /tensor "a" must be an object \{dtype, shape, data_offsets\}, got number/],
    ['missing dtype', { a: { shape: [2], data_offsets: [0, 8] } }, /tensor "a" is missing "dtype"/],
    ['missing data_offsets', { a: { dtype: 'F32', shape: [2] } }, /tensor "a" is missing "data_offsets"/],
    ['an extra key', { a: { ...entry('F32', [2], 0, 8), extra: 1 } }, /tensor "a" has unexpected key "extra"/],
    ['a numeric dtype', { a: entry(4 as unknown as string, [2], 0, 8) }, /tensor "a" has invalid dtype 4/],
    ['a lowercase dtype', { a: entry('f32', [2], 0, 8) }, /tensor "a" has invalid dtype "f32"/],
    ['a negative dimension', { a: entry('F32', [-2], 0, 8) }, /tensor "a" has invalid shape \[-2\]/],
    ['a fractional dimension', { a: entry('F32', [1.5], 0, 8) }, /has invalid shape \[1\.5\]/],
    ['a string dimension', { a: entry('F32', ['2'] as unknown as number[], 0, 8) }, /has invalid shape \["2"\]/],
    ['a shape that is not an array', { a: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, /has invalid shape 2/],
    ['three offsets', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 4, 8] } }, /has invalid data_offsets \[0,4,8\] \(must be \[begin, end\]\)/],
    ['string offsets', { a: { dtype: 'F32', shape: [2], data_offsets: ['0', '8'] } }, /has invalid data_offsets \["0","8"\]/],
  ])('entry with %s -> SAFETENSORS_BAD_ENTRY', (_name, header, message) => {
    const bytes = st(header, f32(1, 2));
    expect(() => parseSafetensors(bytes, 'e.st')).toThrow(message);
    expect(decodeError(() => parseSafetensors(bytes)).code).toBe('SAFETENSORS_BAD_ENTRY');
  });

  test.each<[string, object, RegExp]>([
    ['negative offsets', { a: entry('F32', [2], -8, 0) }, /data_offsets \[-8, 0\] that are not non-negative integers/],
    ['fractional offsets', { a: entry('F32', [2], 0.5, 8) }, /that are not non-negative integers/],
    ['begin after end', { a: entry('F32', [0], 8, 0) }, /tensor "a" has data_offsets \[8, 0\] with begin after end/],
    ['end past the data', { a: entry('F32', [4], 0, 16) }, /tensor "a" has data_offsets \[0, 16\] beyond the 8-byte data section/],
    ['far past the data', { a: entry('F32', [2], 2 ** 52, 2 ** 52 + 8) }, /beyond the 8-byte data section/],
    ['a size that disagrees with the shape', { a: entry('F32', [3], 0, 8) }, /tensor "a" of dtype F32 and shape \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/],
    ['a skipped dtype whose size disagrees', { a: entry('I64', [2], 0, 8) }, /dtype I64 and shape \[2\] needs 16 bytes/],
    ['a shape whose count overflows', { a: entry('F32', [2 ** 30, 2 ** 30, 2 ** 30], 0, 8) }, /needs Infinity bytes/],
    ['a sub-byte size', { a: entry('F4', [3], 0, 2) }, /needs 1\.5 bytes/],
  ])('%s -> SAFETENSORS_BAD_OFFSETS', (_name, header, message) => {
    const bytes = st(header, f32(1, 2));
    expect(() => parseSafetensors(bytes, 'o.st')).toThrow(message);
    expect(decodeError(() => parseSafetensors(bytes)).code).toBe('SAFETENSORS_BAD_OFFSETS');
  });

  test.each<[string, object, RegExp]>([
    ['partial overlap', { a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/],
    ['identical ranges', { a: entry('F32', [2], 0, 8), b: entry('F32', [2], 0, 8) }, /tensors "a" \[0, 8\] and "b" \[0, 8\] overlap/],
    ['containment', { big: entry('F32', [4], 0, 16), small: entry('F32', [1], 8, 12) }, /tensors "big" \[0, 16\] and "small" \[8, 12\] overlap/],
    ['a skipped entry overlapping', { a: entry('F32', [2], 0, 8), n: entry('I64', [], 4, 12) }, /tensors "a" \[0, 8\] and "n" \[4, 12\] overlap/],
    ['listed out of order', { z: entry('F32', [2], 8, 16), a: entry('F32', [3], 4, 16) }, /tensors "a" \[4, 16\] and "z" \[8, 16\] overlap/],
  ])('%s -> SAFETENSORS_OVERLAP', (_name, header, message) => {
    const bytes = st(header, f32(1, 2, 3, 4));
    expect(() => parseSafetensors(bytes)).toThrow(message);
    expect(decodeError(() => parseSafetensors(bytes)).code).toBe('SAFETENSORS_OVERLAP');
  });

  test('entries in any order, with gaps, empty ranges and trailing bytes, are fine', () => {
    const header = { z: entry('F32', [1], 12, 16), a: entry('F32', [2], 0, 8), e: entry('F32', [0], 8, 8), e2: entry('F32', [0, 5], 4, 4) };
    const got = parseSafetensors(st(header, f32(1, 2, 99, 3, 77)));
    expect([...got.tensors.keys()]).toEqual(['a', 'z']);
    expect(Array.from((got.tensors.get('z') as Tensor).data)).toEqual([3]);
    expect(got.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['e2', 'zero-size'],
      ['e', 'zero-size'],
    ]);
  });

  test('metadata: strings only; null means none', () => {
    const meta = (m: unknown): Uint8Array => st({ __metadata__: m, ...ok }, f32(1, 2));
    expect(parseSafetensors(meta({ a: 'b', __proto__x: '' })).metadata).toEqual({ a: 'b', __proto__x: '' });
    expect(parseSafetensors(meta(null)).metadata).toEqual({});
    expect(parseSafetensors(st(ok, f32(1, 2))).metadata).toEqual({});
    expect(() => parseSafetensors(meta({ a: 1 }))).toThrow(/"__metadata__"\["a"\] must be a string, got number/);
    expect(() => parseSafetensors(meta(['a']))).toThrow(/"__metadata__" must be an object of strings, got Array/);
    expect(() => parseSafetensors(meta('x'))).toThrow(/"__metadata__" must be an object of strings, got string/);
    expect(decodeError(() => parseSafetensors(meta({ a: null }))).code).toBe('SAFETENSORS_BAD_METADATA');
  });

  test('a "__proto__" tensor name or metadata key is plain data', () => {
    const bytes = st(`{"__metadata__":{"__proto__":"m"},"__proto__":${JSON.stringify(entry('F32', [1], 0, 4))}}`, f32(5));
    const got = parseSafetensors(bytes);
    expect(Object.getPrototypeOf(got.metadata)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(got.metadata, '__proto__')?.value).toBe('m');
    expect(Array.from((got.tensors.get('__proto__') as Tensor).data)).toEqual([5]);
  });

  test('unknown and other dtypes are skipped with their shape', () => {
    const header = { q: entry('Q4_K', [7], 0, 3), b: entry('BOOL', [2, 1], 3, 5), u: entry('U8', [3], 5, 8) };
    const got = parseSafetensors(st(header, [1, 2, 3, 4, 5, 6, 7, 8]));
    expect(got.tensors.size).toBe(0);
    expect(got.skipped).toEqual([
      { name: 'q', dtype: 'Q4_K', shape: [7], reason: 'unsupported-dtype' },
      { name: 'b', dtype: 'BOOL', shape: [2, 1], reason: 'unsupported-dtype' },
      { name: 'u', dtype: 'U8', shape: [3], reason: 'unsupported-dtype' },
    ]);
  });

  test('a float tensor over 2^32-1 elements is a RangeError, raised before reading its data', () => {
    // 2^32 F16 elements need 8 GiB of data: a sparse file provides them without using the disk.
    const header = st({ a: entry('F16', [2 ** 32], 0, 2 ** 33) });
    const p = path.join(tmp, 'sparse.safetensors');
    fs.writeFileSync(p, header);
    fs.truncateSync(p, header.length + 2 ** 33);
    try {
      expect(() => readSafetensors(p)).toThrow(IoRangeError);
      expect(() => readSafetensors(p)).toThrow(/tensor "a" has 4294967296 elements, more than the supported 4294967295/);
      expect(decodeError(() => readSafetensors(p)).code).toBe('SAFETENSORS_TOO_LARGE');
    } finally {
      fs.rmSync(p);
    }
  });

  test('every cut of a valid file is a clean error (truncated header, or data out of range)', () => {
    const bytes = fixtureBytes(stPath('f32_meta.safetensors'));
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    for (let cut = 0; cut < bytes.length; cut++) {
      const e = decodeError(() => parseSafetensors(bytes.slice(0, cut), `cut${cut}`));
      expect([cut, e.code]).toEqual([cut, cut < headerEnd ? 'SAFETENSORS_TRUNCATED' : 'SAFETENSORS_BAD_OFFSETS']);
      expect(e.message.startsWith(`cut${cut}: `)).toBe(true);
    }
  });

  test('every cut of a state dict on disk is a clean error naming the path', () => {
    const bytes = fixtureBytes(stPath('state_dict.safetensors'));
    const p = path.join(tmp, 'cut.safetensors');
    for (let cut = 0; cut < bytes.length; cut += 3) {
      fs.writeFileSync(p, bytes.subarray(0, cut));
      const e = decodeError(() => readSafetensors(p));
      expect(e.path).toBe(p);
      expect(['SAFETENSORS_TRUNCATED', 'SAFETENSORS_BAD_OFFSETS']).toContain(e.code);
    }
  });

  test('random corruption: a clean coded error or a consistent result', () => {
    const bases = ['f32_meta.safetensors', 'state_dict.safetensors', 'names.safetensors'].map((f) => fixtureBytes(stPath(f)));
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.uint8Array({ maxLength: 16 }),
        (base, edits, cut, tail) => {
          let bytes: Uint8Array = Uint8Array.from(base);
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          if (cut !== undefined) bytes = bytes.slice(0, cut % (bytes.length + 1));
          bytes = concat(bytes, tail);
          let got: SafetensorsContents;
          try {
            got = parseSafetensors(bytes);
          } catch (e) {
            decodeError(() => {
              throw e;
            });
            return;
          }
          for (const t of got.tensors.values()) {
            expect(t.shape.every((d) => Number.isSafeInteger(d) && d > 0)).toBe(true);
            expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          }
          for (const v of Object.values(got.metadata)) expect(typeof v).toBe('string');
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('random corruption of the JSON text only', () => {
    const base = fixtureBytes(stPath('state_dict.safetensors'));
    const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
    const alphabet = [...Buffer.from('{}[],:" 0123456789-.eEFIU_abnt')];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 8, max: headerEnd - 1 }), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = Uint8Array.from(base);
        for (const [i, b] of edits) bytes[i] = b;
        try {
          const got = parseSafetensors(bytes);
          for (const t of got.tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        } catch (e) {
          decodeError(() => {
            throw e;
          });
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('readSafetensorsAsync (awaited reads, one tensor at a time)', () => {
  /** The outcome of a read: its contents, or its error's class, code and message. */
  async function outcome(read: () => Promise<SafetensorsContents> | SafetensorsContents): Promise<unknown> {
    try {
      const got = await read();
      return { tensors: [...got.tensors].map(([name, t]) => [name, t.shape, Array.from(bitsOf(t.data))]), skipped: got.skipped, metadata: got.metadata };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { error: err.constructor.name, code: err.code, message: err.message };
    }
  }

  test.each(['f32_meta.safetensors', 'f32_nometa.safetensors', 'names.safetensors', 'state_dict.safetensors'])('%s: the same tensors, bit for bit, skips and metadata as readSafetensors', async (file) => {
    const want = await outcome(() => readSafetensors(stPath(file)));
    expect(want).not.toHaveProperty('error');
    expect(await outcome(() => readSafetensorsAsync(stPath(file)))).toEqual(want);
  });

  test('every cut of a state dict on disk gives the same error as the synchronous reader', async () => {
    const bytes = fixtureBytes(stPath('state_dict.safetensors'));
    const p = path.join(tmp, 'cut-async.safetensors');
    for (let cut = 0; cut < bytes.length; cut += 5) {
      fs.writeFileSync(p, bytes.subarray(0, cut));
      const want = await outcome(() => readSafetensors(p));
      expect(want).toHaveProperty('error');
      expect([cut, await outcome(() => readSafetensorsAsync(p))]).toEqual([cut, want]);
    }
  });

  test('an oversized header length, a directory and a missing file: the same errors', async () => {
    const huge = path.join(tmp, 'huge-header.safetensors');
    fs.writeFileSync(huge, st({}, [], { len: BigInt(SAFETENSORS_MAX_HEADER_BYTES) + 1n }));
    for (const p of [huge, tmp, path.join(tmp, 'no-such.safetensors')]) {
      const want = await outcome(() => readSafetensors(p));
      expect(want).toHaveProperty('error');
      expect(await outcome(() => readSafetensorsAsync(p))).toEqual(want);
    }
    await expect(readSafetensorsAsync('' as string)).rejects.toThrow(/^readSafetensors: path must be a non-empty string/);
  });
});

describe('writeSafetensors / encodeSafetensors', () => {
  test.each([
    ['f32_meta.safetensors', { format: 'pt' }],
    ['f32_nometa.safetensors', undefined],
    ['names.safetensors', { k: 'v\u00e9\n' }],
  ])('output is byte-identical to the reference implementation for %s', (file, metadata) => {
    const expected = fs.readFileSync(stPath(file));
    const tensors = tensorsOf(file);
    expect(Buffer.from(encodeSafetensors(tensors, metadata)).equals(expected)).toBe(true);
    // Insertion order does not matter: a reversed Map encodes identically.
    const reversed = new Map(Object.entries(tensors).reverse());
    expect(Buffer.from(encodeSafetensors(reversed, metadata)).equals(expected)).toBe(true);
    const out = path.join(tmp, `w-${file}`);
    writeSafetensors(out, tensors, metadata);
    expect(fs.readFileSync(out).equals(expected)).toBe(true);
  });

  test('round trip of random tensors and metadata is bit-exact; header padded to 8 with spaces', () => {
    const tensorArb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }).chain((shape) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n }).map((bits) => ({ shape, bits }));
    });
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 5 }),
        fc.option(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
        (spec, metadata) => {
          const tensors: Record<string, Tensor> = {};
          for (const [name, { shape, bits }] of Object.entries(spec)) tensors[name] = { data: new Float32Array(Uint32Array.from(bits).buffer), shape };
          const bytes = encodeSafetensors(tensors, metadata);
          const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          expect(n % 8).toBe(0);
          const text = Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8');
          expect(text).toMatch(/^\{[^]*\} {0,7}$/);
          expect(text.length - text.trimEnd().length).toBe((8 - (Buffer.byteLength(text.trimEnd()) % 8)) % 8);
          const got = parseSafetensors(bytes);
          expect(got.metadata).toEqual(metadata ?? {});
          expect(got.skipped).toEqual([]);
          expect(got.tensors.size).toBe(Object.keys(spec).length);
          for (const [name, { shape, bits }] of Object.entries(spec)) {
            const t = got.tensors.get(name) as Tensor;
            expect(t.shape).toEqual(shape);
            expect(bitsOf(t.data)).toEqual(bits);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('zero-size tensors are written, and read back as skipped', () => {
    const bytes = encodeSafetensors({ e: { data: new Float32Array(0), shape: [0, 2] }, w: { data: new Float32Array([1]), shape: [] } });
    const got = parseSafetensors(bytes);
    expect(got.skipped).toEqual([{ name: 'e', dtype: 'F32', shape: [0, 2], reason: 'zero-size' }]);
    expect(got.tensors.get('w')).toEqual({ data: new Float32Array([1]), shape: [] });
  });

  test('empty input writes an empty header', () => {
    const bytes = encodeSafetensors({});
    expect(Buffer.from(bytes).toString('latin1', 8)).toBe('{}      ');
    expect(parseSafetensors(bytes).tensors.size).toBe(0);
    expect(Buffer.from(encodeSafetensors(new Map(), {})).toString('latin1', 8)).toBe('{"__metadata__":{}}     ');
  });

  const good = { data: new Float32Array(2), shape: [2] };
  test.each<[string, unknown, unknown, RegExp, ErrorConstructor]>([
    ['null tensors', null, undefined, /^encodeSafetensors: tensors must be a Map or an object of tensors by name, got null$/, TypeError],
    ['an array of tensors', [good], undefined, /tensors must be a Map or an object .* got Array/, TypeError],
    ['a non-string Map key', new Map([[1, good]]), undefined, /tensor names must be strings, got number/, TypeError],
    ['a reserved name', { __metadata__: good }, undefined, /"__metadata__" is reserved and cannot name a tensor/, RangeError],
    ['a lone surrogate in a name', { ['a\ud800']: good }, undefined, /tensor name "a\\ud800" is not well-formed Unicode/, RangeError],
    ['Float64Array data', { w: { data: new Float64Array(2), shape: [2] } }, undefined, /^encodeSafetensors: tensors\["w"\]\.data must be a Float32Array, got Float64Array$/, TypeError],
    ['a bad shape', { w: { data: new Float32Array(2), shape: [3] } }, undefined, /tensors\["w"\]\.shape \[3\] has 3 elements but tensors\["w"\]\.data has 2/, RangeError],
    ['a non-string metadata value', { w: good }, { a: 1 }, /^encodeSafetensors: metadata\["a"\] must be a string, got number$/, TypeError],
    ['metadata as a Map', { w: good }, new Map([['a', 'b']]), /metadata must be an object of strings, got Map/, TypeError],
    ['metadata null', { w: good }, null, /metadata must be an object of strings, got null/, TypeError],
    ['a lone surrogate in metadata', { w: good }, { a: '\udc00' }, /metadata\["a"\] is not well-formed Unicode/, RangeError],
  ])('rejects %s', (_name, tensors, metadata, message, type) => {
    const call = (): unknown => encodeSafetensors(tensors as Record<string, Tensor>, metadata as Record<string, string>);
    expect(call).toThrow(message);
    expect(call).toThrow(type);
    const p = path.join(tmp, 'bad-arg.safetensors');
    expect(() => writeSafetensors(p, tensors as Record<string, Tensor>, metadata as Record<string, string>)).toThrow(type);
    expect(fs.existsSync(p)).toBe(false);
  });

  test('writeSafetensors into a missing directory fails with ENOENT and leaves nothing behind', () => {
    const before = listDir(tmp);
    expect(() => writeSafetensors(path.join(tmp, 'no-dir', 'x.safetensors'), { w: good })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(listDir(tmp)).toEqual(before);
    expect(() => writeSafetensors('', { w: good })).toThrow(/writeSafetensors: path must be a non-empty string/);
  });
});
