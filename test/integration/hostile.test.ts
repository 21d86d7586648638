/**
 * Hostile calls: every public function, every argument position, fed every kind of wrong value.
 * Each call must either throw (or, for async functions, reject with) a TypeError or RangeError whose
 * message names the argument — or, for the inputs that are documented to work (SharedArrayBuffer-
 * backed arrays, subarray views at odd offsets), give the correct result. Never a crash, a hang or
 * a silently wrong answer. test/native-binding.test.ts does the same against the C++ entry points.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import * as lib from '../../lib/index';
import type { Tensor } from '../../lib/core/tensor';
import { randomFloats, relativeError } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

const f32 = (shape: number[], seed = 1): Tensor => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });

function detachedF32(n: number): Float32Array {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Values that are not tensors at all. */
const NOT_TENSORS: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a string', 'tensor'],
  ['a number', 3],
  ['a bigint', 3n],
  ['a symbol', Symbol('t')],
  ['a function', () => 1],
  ['a plain array', [1, 2, 3]],
  ['a bare Float32Array', new Float32Array(12)],
  ['a DataView', new DataView(new ArrayBuffer(48))],
  ['an empty object', {}],
];

/** Tensor-shaped objects that are wrong, for a tensor whose good shape is `shape`. */
function badTensors(shape: number[]): [string, unknown][] {
  const n = shape.reduce((a, b) => a * b, 1);
  const withShape = (s: unknown[]): Tensor => ({ data: new Float32Array(n), shape: s as number[] });
  return [
    ['data a plain array', { data: Array.from({ length: n }, () => 0), shape }],
    ['data a Float64Array', { data: new Float64Array(n), shape }],
    ['data an Int32Array', { data: new Int32Array(n), shape }],
    ['data a DataView', { data: new DataView(new ArrayBuffer(4 * n)), shape }],
    ['data a string', { data: 'abc', shape }],
    ['data missing', { shape }],
    ['shape missing', { data: new Float32Array(n) }],
    ['shape a string', { data: new Float32Array(n), shape: shape.join(',') }],
    ['shape with a string dim', withShape([...shape.slice(0, -1), String(shape[shape.length - 1])])],
    ['a zero dim', withShape([0, ...shape.slice(1)])],
    ['a negative dim', withShape([-shape[0], ...shape.slice(1)])],
    ['a fractional dim', withShape([shape[0] + 0.5, ...shape.slice(1)])],
    ['a NaN dim', withShape([NaN, ...shape.slice(1)])],
    ['an Infinity dim', withShape([Infinity, ...shape.slice(1)])],
    ['a 2^31 dim', withShape([2 ** 31, ...shape.slice(1)])],
    ['a 2^53 dim', withShape([2 ** 53, ...shape.slice(1)])],
    ['data shorter than the shape', { data: new Float32Array(n - 1), shape }],
    ['data longer than the shape', { data: new Float32Array(n + 1), shape }],
    ['a detached buffer', { data: detachedF32(n), shape }],
  ];
}

/** Views that must work: SharedArrayBuffer-backed, and a subarray at an odd element offset. */
function workingViews(t: Tensor): [string, Tensor][] {
  const shared = new Float32Array(new SharedArrayBuffer(t.data.byteLength));
  shared.set(t.data);
  const big = new Float32Array(t.data.length + 3);
  big.set(t.data, 3);
  return [
    ['SharedArrayBuffer-backed', { data: shared, shape: t.shape }],
    ['a subarray at an odd offset', { data: big.subarray(3), shape: t.shape }],
  ];
}

const BAD_OPTIONS: [string, unknown][] = [
  ['options a string', 'fast'],
  ['options a number', 1],
  ['options an array', []],
  ['options a Float32Array', new Float32Array(2)],
  ['options with an unknown name', { bogus: 1 }],
  ['options with threads a string', { threads: '2' }],
  ['options with threads 0', { threads: 0 }],
  ['options with threads NaN', { threads: NaN }],
];

interface Target {
  name: string;
  /** good arguments; the function returns a Tensor (or a promise of one) */
  args: () => unknown[];
  /** argument names as messages use them, by position */
  names: string[];
  /** positions holding tensors (hostile tensors are tried there) */
  tensorPositions: number[];
  /** position of the options object, if any */
  optionsPosition?: number;
  call: (...args: unknown[]) => unknown;
}

const q = f32([6, 5], 1);
const k = f32([7, 5], 2);
const v = f32([7, 3], 3);
const x = f32([2, 4, 6, 6], 4);
const weights = randomWeights({ C: 4, Ci: 2, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, seed: 5 });

const TARGETS: Target[] = [
  { name: 'attention', args: () => [q, k, v], names: ['query', 'key', 'value', 'options'], tensorPositions: [0, 1, 2], optionsPosition: 3, call: lib.attention as never },
  { name: 'attentionAsync', args: () => [q, k, v], names: ['query', 'key', 'value', 'options'], tensorPositions: [0, 1, 2], optionsPosition: 3, call: lib.attentionAsync as never },
  { name: 'reference.attention', args: () => [q, k, v], names: ['query', 'key', 'value', 'options'], tensorPositions: [0, 1, 2], optionsPosition: 3, call: lib.reference.attention as never },
  { name: 'affinityMap', args: () => [q, k], names: ['query', 'key', 'options'], tensorPositions: [0, 1], optionsPosition: 2, call: lib.affinityMap as never },
  { name: 'nonLocalBlock', args: () => [x, weights], names: ['x', 'weights', 'options'], tensorPositions: [0], optionsPosition: 2, call: lib.nonLocalBlock as never },
  { name: 'nonLocalBlockAsync', args: () => [x, weights], names: ['x', 'weights', 'options'], tensorPositions: [0], optionsPosition: 2, call: lib.nonLocalBlockAsync as never },
  { name: 'reference.nonLocalBlock', args: () => [x, weights], names: ['x', 'weights', 'options'], tensorPositions: [0], optionsPosition: 2, call: lib.reference.nonLocalBlock as never },
];

/** Calls `fn`, turning a synchronous throw or an async rejection into a settled result. */
async function settle(fn: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectArgumentError(result: { ok: boolean; error?: unknown }, argument: string): void {
  expect(result.ok).toBe(false);
  const e = result.error as { name?: string; message?: string };
  expect(['TypeError', 'RangeError']).toContain(e.name);
  // The argument's name as a word of its own ("x has shape…", "query.data…", "options.threads…").
  expect(e.message).toMatch(new RegExp(`(^|[^A-Za-z])${argument}([^A-Za-z]|$)`));
}

let cases = 0;
afterAll(() => process.stderr.write(`hostile: ${cases} hostile calls, none crashed\n`));

describe.each(TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
  const good = target.call(...target.args()) as Tensor | Promise<Tensor>;
  const wantPromise = Promise.resolve(good);

  test('rejects every non-tensor, in every tensor position, naming the argument', async () => {
    for (const position of target.tensorPositions) {
      for (const [, value] of NOT_TENSORS) {
        const args = target.args();
        args[position] = value;
        expectArgumentError(await settle(() => target.call(...args)), target.names[position]);
        cases++;
      }
    }
  });

  test('rejects every malformed tensor, in every tensor position, naming the argument', async () => {
    for (const position of target.tensorPositions) {
      const goodTensor = target.args()[position] as Tensor;
      for (const [label, value] of badTensors(goodTensor.shape.slice())) {
        const args = target.args();
        args[position] = value;
        const result = await settle(() => target.call(...args));
        if (result.ok) throw new Error(`${target.name}: ${label} at ${target.names[position]} was accepted`);
        expectArgumentError(result, target.names[position]);
        cases++;
      }
    }
  });

  test('rejects bad options objects, naming options', async () => {
    if (target.optionsPosition === undefined) return;
    for (const [, value] of BAD_OPTIONS) {
      const args = target.args();
      args[target.optionsPosition] = value;
      expectArgumentError(await settle(() => target.call(...args)), 'options');
      cases++;
    }
  });

  test('SharedArrayBuffer-backed inputs and subarray views at odd offsets give the same result', async () => {
    const want = (await wantPromise).data;
    for (const position of target.tensorPositions) {
      for (const [label, view] of workingViews(target.args()[position] as Tensor)) {
        const args = target.args();
        args[position] = view;
        const result = await settle(() => target.call(...args));
        if (!result.ok) throw new Error(`${target.name}: ${label} at ${target.names[position]} failed: ${String(result.error)}`);
        expect((result.value as Tensor).data).toEqual(want);
        cases++;
      }
    }
  });

  test('NaN and ±Inf in the data: no crash, a result of the right shape (NaN propagates, never a wrong finite answer)', async () => {
    for (const position of target.tensorPositions) {
      for (const special of [NaN, Infinity, -Infinity]) {
        const args = target.args();
        const t = args[position] as Tensor;
        const data = t.data.slice();
        data[1] = special;
        args[position] = { data, shape: t.shape };
        const result = await settle(() => target.call(...args));
        if (!result.ok) throw new Error(`expected a result, got ${String(result.error)}`);
        const out = (result.value as Tensor).data;
        expect(out.length).toBe((await wantPromise).data.length);
        // Either non-finite values appear, or the poisoned element cannot reach the output.
        expect(out.some((y) => !Number.isFinite(y)) || relativeError(out, (await wantPromise).data) < 1).toBe(true);
        cases++;
      }
    }
  });
});

describe('weights, files and settings', () => {
  const tmp = os.tmpdir();
  const hostileWeights: [string, unknown][] = [
    ...NOT_TENSORS,
    ['weights with a Float64Array conv', { ...weights, g: { weight: new Float64Array(8), bias: null } }],
    ['weights with a short conv', { ...weights, theta: { weight: new Float32Array(7), bias: null } }],
    ['weights with NaN channels', { ...weights, inChannels: NaN }],
    ['weights with a string BatchNorm eps', { ...weights, bn: { ...weights.bn!, eps: '1e-5' } }],
  ];

  test.each(hostileWeights)('nonLocalBlock rejects %s, naming weights', async (_label, value) => {
    for (const call of [lib.nonLocalBlock, lib.nonLocalBlockAsync, lib.reference.nonLocalBlock]) {
      expectArgumentError(await settle(() => (call as (...a: unknown[]) => unknown)(x, value)), 'weights');
      cases++;
    }
  });

  const badPaths: unknown[] = [undefined, null, 3, {}, [], ''];
  test.each(badPaths.map((p) => [String(p), p]))('file functions reject the path %s with a TypeError naming path', async (_label, p) => {
    for (const call of [() => lib.readNpy(p as string), () => lib.readSafetensors(p as string), () => lib.writeNpy(p as string, q), () => lib.writeSafetensors(p as string, { q }), () => lib.loadNonLocalWeights(p as string)]) {
      expectArgumentError(await settle(call), 'path');
      cases++;
    }
  });

  test('writeNpy and writeSafetensors reject every malformed tensor, naming it', async () => {
    for (const [, value] of [...NOT_TENSORS.slice(1), ...badTensors([6, 5])]) {
      expectArgumentError(await settle(() => lib.writeNpy(path.join(tmp, 'never.npy'), value as Tensor)), 'tensor');
      expectArgumentError(await settle(() => lib.writeSafetensors(path.join(tmp, 'never.safetensors'), { t: value as Tensor })), 'tensors');
      cases += 2;
    }
  });

  test('setDefaultThreads and measureFmaPeak reject nonsense', () => {
    for (const n of [0, -1, 1.5, NaN, Infinity, 2000, '2', null]) {
      expect(() => lib.setDefaultThreads(n as number)).toThrow(/threads must be an integer from 1 to 1024/);
      expect(() => lib.measureFmaPeak({ threads: n as number })).toThrow(/options\.threads must be an integer from 1 to 1024/);
      cases += 2;
    }
  });
});
