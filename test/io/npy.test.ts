import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { encodeNpy, parseNpy, readNpy, writeNpy, NPY_MAX_HEADER_BYTES } from '../../lib/io/npy';
import { IoFormatError, IoRangeError, isIoError } from '../../lib/io/io-error';
import type { Tensor } from '../../lib/core/tensor';
import {
  bitsOf,
  concat,
  decodeError,
  f32Bits,
  fixtureBytes,
  listDir,
  makeTempDir,
  npyFixture,
  npyPath,
  toNumbers,
  u32le,
} from './fixtures';

const tmp = makeTempDir('npy');

/** A .npy file around an arbitrary header text; the length field is computed unless given. */
function npy(header: string, data: ArrayLike<number> = [], opts: { major?: number; minor?: number; len?: number } = {}): Uint8Array {
  const major = opts.major ?? 1;
  const text = major === 3 ? Buffer.from(header, 'utf8') : Buffer.from(header, 'latin1');
  const len = opts.len ?? text.length;
  const lenBytes = major === 1 ? [len & 0xff, (len >>> 8) & 0xff] : u32le(len);
  return concat([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, opts.minor ?? 0], lenBytes, text, data);
}

const f4 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);
const dict = (shape: string, descr = "'<f4'", fortran = 'False'): string =>
  `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

describe('readNpy on files written by numpy', () => {
  const readable = ['f4_2x3.npy', 'f4_2x3_v2.npy', 'f4_2x3_v3.npy', 'f4_scalar.npy', 'f4_vec5.npy', 'f4_2x3x4.npy', 'f4_12x1.npy', 'f4_1234.npy'];

  test.each(readable)('%s: shape and every value bit-exact', (file) => {
    const fx = npyFixture(file);
    const t = readNpy(npyPath(file));
    expect(t.shape).toEqual(fx.shape);
    expect(bitsOf(t.data)).toEqual(f32Bits(toNumbers(fx.values ?? [])));
  });

  test('0-d array reads as shape [] with one element', () => {
    const t = readNpy(npyPath('f4_scalar.npy'));
    expect(t.shape).toEqual([]);
    expect(Array.from(t.data)).toEqual([3.5]);
  });

  test("'<f8' is narrowed to the nearest float32 (overflow to Infinity, underflow to 0)", () => {
    const fx = npyFixture('f8_2x3.npy');
    const t = readNpy(npyPath('f8_2x3.npy'));
    expect(t.shape).toEqual([2, 3]);
    const expected = toNumbers(fx.values ?? []).map(Math.fround);
    expect(bitsOf(t.data)).toEqual(f32Bits(expected));
    expect(t.data[2]).toBe(Infinity);
    expect(t.data[3]).toBe(0);
  });

  test('the result owns a fresh buffer and never aliases the input bytes', () => {
    const bytes = fixtureBytes(npyPath('f4_2x3.npy'));
    const t = parseNpy(bytes);
    expect(t.data.byteOffset).toBe(0);
    expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
    expect(t.data.buffer).not.toBe(bytes.buffer);
    const before = bitsOf(t.data);
    bytes.fill(0xff);
    expect(bitsOf(t.data)).toEqual(before);
  });

  test('parses bytes at an odd offset inside a larger buffer (pooled-Buffer case)', () => {
    const file = fixtureBytes(npyPath('f4_2x3.npy'));
    const big = new Uint8Array(file.length + 7);
    big.set(file, 3);
    const t = parseNpy(big.subarray(3, 3 + file.length));
    expect(bitsOf(t.data)).toEqual(bitsOf(readNpy(npyPath('f4_2x3.npy')).data));
  });

  test('a small file read via fs.readFileSync (pooled, unaligned Buffer) parses the same', () => {
    const buf = fs.readFileSync(npyPath('f4_scalar.npy'));
    expect(parseNpy(buf, 'x').data[0]).toBe(3.5);
  });
});

describe('readNpy rejects what it cannot represent, with the path and a remedy', () => {
  test.each([
    ['f4_be.npy', 'NPY_BIG_ENDIAN', /f4_be\.npy: has big-endian dtype '>f4'.*arr\.astype\('<f4'\)/],
    ['f8_be.npy', 'NPY_BIG_ENDIAN', /f8_be\.npy: has big-endian dtype '>f8'.*arr\.astype\('<f4'\)/],
    ['i8_2x3.npy', 'NPY_UNSUPPORTED_DTYPE', /i8_2x3\.npy: has dtype '<i8', which is not supported; only '<f4' and '<f8'/],
    ['f2_4.npy', 'NPY_UNSUPPORTED_DTYPE', /has dtype '<f2', which is not supported/],
    ['structured.npy', 'NPY_UNSUPPORTED_DTYPE', /has a structured dtype, which is not supported/],
    ['f4_fortran.npy', 'NPY_FORTRAN_ORDER', /f4_fortran\.npy: is stored in Fortran .*np\.ascontiguousarray\(arr\)/],
  ])('%s -> %s', (file, code, message) => {
    const p = npyPath(file);
    expect(() => readNpy(p)).toThrow(message);
    const e = decodeError(() => readNpy(p));
    expect(e).toBeInstanceOf(IoFormatError);
    expect(e.code).toBe(code);
    expect(e.path).toBe(p);
  });

  test('zero-size arrays are a RangeError saying they are not supported', () => {
    const p = npyPath('f4_empty_0x3.npy');
    expect(() => readNpy(p)).toThrow(RangeError);
    expect(() => readNpy(p)).toThrow(/f4_empty_0x3\.npy: has shape \(0, 3\) with no elements; zero-size arrays are not supported/);
    expect(decodeError(() => readNpy(p)).code).toBe('NPY_ZERO_SIZE');
  });

  test('a missing file names the path and keeps ENOENT', () => {
    const p = path.join(tmp, 'does-not-exist.npy');
    expect(() => readNpy(p)).toThrow(p);
    expect(() => readNpy(p)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('a directory is refused with NOT_A_FILE', () => {
    expect(() => readNpy(tmp)).toThrow(/is a directory, not a file/);
    expect(decodeError(() => readNpy(tmp)).code).toBe('NOT_A_FILE');
  });

  test('wrong argument types are TypeErrors', () => {
    expect(() => readNpy('')).toThrow(new TypeError('readNpy: path must be a non-empty string, got an empty string'));
    expect(() => readNpy(3 as unknown as string)).toThrow(/readNpy: path must be a non-empty string, got number/);
    expect(() => parseNpy([1, 2] as unknown as Uint8Array)).toThrow(new TypeError('parseNpy: bytes must be a Uint8Array, got Array'));
  });
});

describe('header parsing is strict but accepts every spelling numpy reads', () => {
  test.each([
    ['keys in another order', "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}"],
    ['double quotes, no trailing comma', '{"descr": "<f4", "fortran_order": False, "shape": (2,)}'],
    ['odd whitespace and newlines', "  {\n'descr' :'<f4' ,\t'fortran_order':False,'shape':( 2 , ) ,\n}   \n"],
    ['old 16-byte alignment', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }    \n"],
    ['no terminating newline', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}"],
    ['Python 2 long suffix in v1.0', "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }\n"],
  ])('%s', (_name, header) => {
    const t = parseNpy(npy(header, f4(1, 2)));
    expect(t.shape).toEqual([2]);
    expect(Array.from(t.data)).toEqual([1, 2]);
  });

  test('multi-dimensional tuples, with and without a trailing comma', () => {
    expect(parseNpy(npy(dict('(1, 2, 1)'), f4(5, 6))).shape).toEqual([1, 2, 1]);
    expect(parseNpy(npy(dict('(1, 2, 1,)'), f4(5, 6))).shape).toEqual([1, 2, 1]);
  });

  test('version 2.0 and 3.0 headers; 3.0 is UTF-8 and has no long suffix', () => {
    expect(parseNpy(npy(dict('(2,)'), f4(1, 2), { major: 2 })).shape).toEqual([2]);
    expect(parseNpy(npy(dict('(2,)'), f4(1, 2), { major: 3 })).shape).toEqual([2]);
    expect(() => parseNpy(npy(dict('(2L,)'), f4(1, 2), { major: 3 }))).toThrow(/header has a malformed number/);
    expect(() => parseNpy(npy(dict('()').replace("'shape'", "'shapé'"), f4(1), { major: 3 }))).toThrow(/unexpected key 'shapé'/);
    const badUtf8 = npy(dict('(1,)'), f4(1), { major: 3 });
    badUtf8[12] = 0xff; // inside the header text
    expect(() => parseNpy(badUtf8)).toThrow(/version 3.0 header is not valid UTF-8/);
  });

  test.each([
    ['not a dict', '[1, 2]\n', /header must be a Python dict literal/],
    ['empty header', '', /header must be a Python dict literal/],
    ['missing key', "{'descr': '<f4', 'shape': (2,)}", /header is missing key 'fortran_order'/],
    ['extra key', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", /header has unexpected key 'x'/],
    ['duplicate key', "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", /header has duplicate key 'descr'/],
    ['fortran_order not a bool', dict('(2,)', "'<f4'", "'no'"), /fortran_order must be True or False, got 'no'/],
    ['unknown name', dict('(2,)', "'<f4'", 'Nope'), /header has unknown name 'Nope'/],
    ['lowercase bool', dict('(2,)', "'<f4'", 'false'), /header has unknown name 'false'/],
    ['escape sequence', dict('(2,)', "'<\\x66'"), /escape sequence/],
    ['unterminated string', "{'descr: '<f4'}", /unterminated string|expected ':'/],
    ['nested dict', "{'descr': {'a': 1}, 'fortran_order': False, 'shape': (2,)}", /nested dict/],
    ['text after the dict', `${dict('(2,)')}x`, /unexpected text after the dict/],
    ['missing comma', "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", /expected ',' or '}'/],
    ['unbalanced tuple', dict('(2,'), /expected ',' or '\)'|unexpected character/],
    ['float dimension', dict('(2.0,)'), /non-integer number/],
    ['leading zeros', dict('(02,)'), /leading zeros/],
    ['lone minus', dict('(-,)'), /"-" not followed by digits/],
    ['a control character', "{'descr': \u0001}", /unexpected character "\\u0001"/],
    ['a non-string key', "{1: '<f4'}", /expected a quoted string key/],
    ['deep nesting', `{'descr': ${'('.repeat(5000)}`, /nests deeper than 16 levels/],
  ])('rejects %s with NPY_BAD_HEADER', (_name, header, message) => {
    const bytes = npy(header, f4(1, 2));
    expect(() => parseNpy(bytes, 'h.npy')).toThrow(message);
    const e = decodeError(() => parseNpy(bytes, 'h.npy'));
    expect(e.code).toBe('NPY_BAD_HEADER');
    expect(e.message.startsWith('h.npy: ')).toBe(true);
  });

  test.each([
    ['an int, not a tuple', '(2)', /shape must be a tuple of integers, got 2/],
    ['a list', '[2]', /shape must be a tuple of integers, got \[2\]/],
    ['a negative dimension', '(-1, 2)', /shape \(-1, 2\) has an invalid dimension -1 at index 0/],
    ['a string dimension', "('2',)", /invalid dimension '2'/],
    ['an unsafe integer', '(99999999999999999999,)', /invalid dimension 99999999999999999999/],
    ['a product beyond 2^53', '(134217728, 134217728)', /more elements than can be counted exactly/],
  ])('rejects a shape that is %s with NPY_BAD_SHAPE', (_name, shape, message) => {
    const bytes = npy(dict(shape), f4(1, 2));
    expect(() => parseNpy(bytes)).toThrow(message);
    expect(decodeError(() => parseNpy(bytes)).code).toBe('NPY_BAD_SHAPE');
  });

  test('more than 2^32-1 elements is a RangeError, raised before any allocation', () => {
    const bytes = npy(dict('(65536, 65536)'), f4(1));
    expect(() => parseNpy(bytes)).toThrow(IoRangeError);
    expect(() => parseNpy(bytes)).toThrow(/has 4294967296 elements, more than the supported 4294967295/);
    expect(decodeError(() => parseNpy(bytes)).code).toBe('NPY_TOO_LARGE');
  });

  test('an unsupported dtype given as a non-string is named', () => {
    expect(() => parseNpy(npy(dict('(2,)', '4')))).toThrow(/has 4, which is not supported/);
  });
});

test('isIoError recognises decoding errors only', () => {
  expect(isIoError(new IoFormatError('NPY_TRUNCATED', 'a', 'b'))).toBe(true);
  expect(isIoError(new IoRangeError('NPY_ZERO_SIZE', 'a', 'b'))).toBe(true);
  expect(new IoRangeError('NPY_ZERO_SIZE', 'a.npy', 'x')).toBeInstanceOf(RangeError);
  expect(new IoFormatError('NPY_TRUNCATED', 'a.npy', 'x').message).toBe('a.npy: x');
  expect(isIoError(Object.assign(new Error('x'), { code: 'ENOENT', path: 'a' }))).toBe(false);
  expect(isIoError(new TypeError('x'))).toBe(false);
  expect(isIoError(null)).toBe(false);
});

describe('framing errors', () => {
  test('bad magic', () => {
    const bytes = npy(dict('(2,)'), f4(1, 2));
    bytes[1] = 0x4d;
    expect(() => parseNpy(bytes, 'm.npy')).toThrow(/^m\.npy: is not a \.npy file/);
    expect(decodeError(() => parseNpy(bytes)).code).toBe('NPY_BAD_MAGIC');
    expect(decodeError(() => parseNpy(new Uint8Array([0x50, 0x4b, 3, 4]))).code).toBe('NPY_BAD_MAGIC');
  });

  test.each([
    [0, 0],
    [4, 0],
    [1, 1],
    [2, 1],
    [255, 0],
  ])('version %i.%i is refused', (major, minor) => {
    const bytes = npy(dict('(2,)'), f4(1, 2), { major: major === 1 ? 1 : 2, minor });
    bytes[6] = major;
    expect(() => parseNpy(bytes)).toThrow(`has unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
    expect(decodeError(() => parseNpy(bytes)).code).toBe('NPY_BAD_VERSION');
  });

  test('a header length beyond the limit is refused without reading it', () => {
    const bytes = npy(dict('(2,)'), f4(1, 2), { major: 2, len: NPY_MAX_HEADER_BYTES + 1 });
    expect(() => parseNpy(bytes)).toThrow(`header length ${NPY_MAX_HEADER_BYTES + 1} exceeds the ${NPY_MAX_HEADER_BYTES}-byte limit`);
    expect(decodeError(() => parseNpy(npy('', [], { major: 2, len: 0xffffffff }))).code).toBe('NPY_HEADER_TOO_LARGE');
  });

  test('a header length beyond the end of the file is truncation', () => {
    const bytes = npy(dict('(2,)'), [], { len: 5000 });
    expect(() => parseNpy(bytes)).toThrow(/is truncated: the header needs 5000 bytes/);
    expect(decodeError(() => parseNpy(bytes)).code).toBe('NPY_TRUNCATED');
  });

  test('short data is truncation; extra data is refused', () => {
    expect(() => parseNpy(npy(dict('(2, 2)'), f4(1, 2, 3)))).toThrow(/data is truncated: shape \(2, 2\) needs 16 bytes but only 12 follow the header/);
    expect(decodeError(() => parseNpy(npy(dict('(2, 2)'), f4(1, 2, 3)))).code).toBe('NPY_TRUNCATED');
    expect(() => parseNpy(npy(dict('(2,)'), f4(1, 2, 3)))).toThrow(/has 4 unexpected bytes after the 8 bytes of data/);
    expect(decodeError(() => parseNpy(npy(dict('(2,)'), [...f4(1, 2), 0]))).code).toBe('NPY_TRAILING_DATA');
    expect(decodeError(() => parseNpy(npy(dict('()'), f4(1, 2)))).code).toBe('NPY_TRAILING_DATA');
  });

  test.each(['f4_2x3.npy', 'f8_2x3.npy', 'f4_2x3_v2.npy', 'f4_scalar.npy'])('%s cut at every byte is NPY_TRUNCATED', (file) => {
    const bytes = fixtureBytes(npyPath(file));
    for (let cut = 0; cut < bytes.length; cut++) {
      const e = decodeError(() => parseNpy(bytes.slice(0, cut), `cut${cut}`));
      expect([cut, e.code]).toEqual([cut, 'NPY_TRUNCATED']);
      expect(e.message.startsWith(`cut${cut}: `)).toBe(true);
    }
  });

  test('truncated files on disk: every cut of f4_vec5.npy is NPY_TRUNCATED with the path', () => {
    const bytes = fixtureBytes(npyPath('f4_vec5.npy'));
    const p = path.join(tmp, 'cut.npy');
    for (let cut = 0; cut < bytes.length; cut++) {
      fs.writeFileSync(p, bytes.subarray(0, cut));
      const e = decodeError(() => readNpy(p));
      expect([cut, e.code, e.path]).toEqual([cut, 'NPY_TRUNCATED', p]);
    }
  });
});

describe('random corruption never crashes or mis-reads', () => {
  const bases = ['f4_2x3.npy', 'f8_2x3.npy', 'f4_2x3_v3.npy', 'f4_scalar.npy'].map((f) => fixtureBytes(npyPath(f)));

  test('byte mutations, truncations and extensions: a clean coded error or a consistent tensor', () => {
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
          let t: Tensor;
          try {
            t = parseNpy(bytes);
          } catch (e) {
            decodeError(() => {
              throw e;
            });
            return;
          }
          expect(t.shape.every((d) => Number.isSafeInteger(d) && d > 0)).toBe(true);
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('mutations confined to the header text', () => {
    const base = fixtureBytes(npyPath('f4_2x3.npy'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 10, max: 127 }), fc.constantFrom(...Buffer.from("{}()[],:'\" TFN-0123456789<>f48Lx\n"))), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = Uint8Array.from(base);
        for (const [i, b] of edits) bytes[i] = b;
        try {
          const t = parseNpy(bytes);
          expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
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

describe('writeNpy / encodeNpy', () => {
  test.each(['f4_2x3.npy', 'f4_scalar.npy', 'f4_vec5.npy', 'f4_2x3x4.npy', 'f4_12x1.npy', 'f4_1234.npy'])(
    'output is byte-identical to numpy np.save for %s',
    (file) => {
      const expected = fixtureBytes(npyPath(file));
      const t = readNpy(npyPath(file));
      expect(Buffer.from(encodeNpy(t)).equals(Buffer.from(expected))).toBe(true);
      const out = path.join(tmp, `w-${file}`);
      writeNpy(out, t);
      expect(fs.readFileSync(out).equals(Buffer.from(expected))).toBe(true);
    },
  );

  test('a zero-size tensor is written exactly as numpy writes it (though readNpy refuses it)', () => {
    const bytes = encodeNpy({ data: new Float32Array(0), shape: [0, 3] });
    expect(Buffer.from(bytes).equals(fs.readFileSync(npyPath('f4_empty_0x3.npy')))).toBe(true);
  });

  test('the output aliases neither the tensor nor a pooled buffer, and accepts a subarray view', () => {
    const backing = new Float32Array([9, 1, 2, 3, 9]);
    const view = backing.subarray(1, 4);
    const bytes = encodeNpy({ data: view, shape: [3] });
    backing.fill(0);
    expect(Array.from(parseNpy(bytes).data)).toEqual([1, 2, 3]);
  });

  test('a header over 65535 bytes switches to format 2.0, still 64-byte aligned', () => {
    const shape = new Array<number>(25000).fill(1);
    const bytes = encodeNpy({ data: new Float32Array([7]), shape });
    expect(bytes[6]).toBe(2);
    const headerLen = new DataView(bytes.buffer).getUint32(8, true);
    expect((12 + headerLen) % 64).toBe(0);
    const t = parseNpy(bytes);
    expect(t.shape).toEqual(shape);
    expect(t.data[0]).toBe(7);
  });

  test('round trip of random tensors is bit-exact (NaN payloads, -0, subnormals included) and aligned', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: shape.reduce((a, b) => a * b, 1), maxLength: shape.reduce((a, b) => a * b, 1) })),
        ),
        ([shape, bits]) => {
          const data = new Float32Array(Uint32Array.from(bits).buffer);
          const bytes = encodeNpy({ data, shape });
          const headerLen = new DataView(bytes.buffer).getUint16(8, true);
          expect((10 + headerLen) % 64).toBe(0);
          expect(bytes[10 + headerLen - 1]).toBe(0x0a);
          const t = parseNpy(bytes);
          expect(t.shape).toEqual(shape);
          expect(bitsOf(t.data)).toEqual(bits);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('writeNpy then readNpy round-trips through a file', () => {
    const p = path.join(tmp, 'rt.npy');
    writeNpy(p, { data: new Float32Array([1.25, -0, 3e-42, 65504]), shape: [2, 2] });
    const t = readNpy(p);
    expect(t.shape).toEqual([2, 2]);
    expect(bitsOf(t.data)).toEqual(f32Bits([1.25, -0, 3e-42, 65504]));
  });

  test.each<[string, unknown, RegExp, ErrorConstructor]>([
    ['null', null, /^writeNpy: tensor must be an object \{ data: Float32Array, shape: number\[\] \}, got null$/, TypeError],
    ['an array', [1, 2], /tensor must be an object .* got Array/, TypeError],
    ['Float64Array data', { data: new Float64Array(2), shape: [2] }, /^writeNpy: tensor\.data must be a Float32Array, got Float64Array$/, TypeError],
    ['plain-array data', { data: [1, 2], shape: [2] }, /tensor\.data must be a Float32Array, got Array/, TypeError],
    ['missing shape', { data: new Float32Array(2) }, /^writeNpy: tensor\.shape must be an array of integers, got undefined$/, TypeError],
    ['a string dimension', { data: new Float32Array(2), shape: ['2'] }, /^writeNpy: tensor\.shape\[0\] must be a number, got string$/, TypeError],
    ['a negative dimension', { data: new Float32Array(2), shape: [-2] }, /^writeNpy: tensor\.shape\[0\] must be a non-negative integer, got -2$/, RangeError],
    ['a fractional dimension', { data: new Float32Array(2), shape: [1, 1.5] }, /tensor\.shape\[1\] must be a non-negative integer, got 1\.5/, RangeError],
    ['NaN dimension', { data: new Float32Array(2), shape: [NaN] }, /tensor\.shape\[0\] must be a non-negative integer, got NaN/, RangeError],
    ['a mismatched shape', { data: new Float32Array(5), shape: [2, 3] }, /^writeNpy: tensor\.shape \[2, 3\] has 6 elements but tensor\.data has 5$/, RangeError],
    ['an overflowing shape', { data: new Float32Array(1), shape: [2 ** 30, 2 ** 30, 2 ** 30] }, /has Infinity elements but tensor\.data has 1/, RangeError],
  ])('rejects %s', (_name, tensor, message, type) => {
    const p = path.join(tmp, 'bad-arg.npy');
    expect(() => writeNpy(p, tensor as Tensor)).toThrow(message);
    expect(() => writeNpy(p, tensor as Tensor)).toThrow(type);
    expect(fs.existsSync(p)).toBe(false);
    expect(() => encodeNpy(tensor as Tensor)).toThrow(type);
  });

  test('rejects a bad path', () => {
    const t = { data: new Float32Array(1), shape: [] };
    expect(() => writeNpy('', t)).toThrow(new TypeError('writeNpy: path must be a non-empty string, got an empty string'));
    expect(() => writeNpy(null as unknown as string, t)).toThrow(/got null/);
  });

  test('writing into a missing directory fails with ENOENT and leaves nothing behind', () => {
    const dir = path.join(tmp, 'missing-dir');
    const before = listDir(tmp);
    expect(() => writeNpy(path.join(dir, 'x.npy'), { data: new Float32Array(1), shape: [1] })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(listDir(tmp)).toEqual(before);
  });
});
