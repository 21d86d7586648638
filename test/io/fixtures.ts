/** Shared helpers for the lib/io tests: fixture paths, the manifest, temp dirs, bit comparisons. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IO_ERROR_CODES, isIoError } from '../../lib/io/io-error';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'io');

/** A JSON value list where non-finite numbers are spelled "inf", "-inf", "nan". */
export type JsonValues = Array<number | 'inf' | '-inf' | 'nan'>;

export interface NpyFixture {
  file: string;
  descr: string;
  shape: number[];
  fortran_order: boolean;
  version: [number, number];
  note: string;
  values?: JsonValues;
}

export interface SafetensorsFixture {
  file: string;
  note: string;
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; values: JsonValues | null }>;
}

export interface Manifest {
  numpy: string;
  npy: NpyFixture[];
  safetensors: SafetensorsFixture[];
}

export const manifest: Manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8'));

export function npyFixture(file: string): NpyFixture {
  const f = manifest.npy.find((x) => x.file === file);
  if (f === undefined) throw new Error(`no npy fixture ${file}`);
  return f;
}

export function stFixture(file: string): SafetensorsFixture {
  const f = manifest.safetensors.find((x) => x.file === file);
  if (f === undefined) throw new Error(`no safetensors fixture ${file}`);
  return f;
}

export const npyPath = (file: string): string => path.join(FIXTURES, 'npy', file);
export const stPath = (file: string): string => path.join(FIXTURES, 'safetensors', file);

/** Fresh bytes of a fixture file (a copy, so tests may mutate it). */
export function fixtureBytes(p: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(p));
}

export function toNumbers(values: JsonValues): number[] {
  return values.map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v));
}

/** The float32 bit patterns of the values, so -0, NaN and exact equality are all checked. */
export function f32Bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

export function bitsOf(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

/** A temp directory removed after the suite. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nla-io-${prefix}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs fn and returns the error it throws, asserting that it is one of our decoding errors with a
 * known code (never a raw TypeError/RangeError from a bad index, never a stack overflow).
 */
export function decodeError(fn: () => unknown): Error & { code: string; path: string } {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error('expected a decoding error, but the call succeeded');
  if (!isIoError(caught)) throw new Error(`expected an IoFormatError/IoRangeError, got: ${String(caught)}`);
  expect(IO_ERROR_CODES).toContain(caught.code);
  return caught;
}

/** Little-endian u32. */
export function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

export function concat(...parts: Array<ArrayLike<number>>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every file in dir (to prove no temp file is left behind). */
export function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}
