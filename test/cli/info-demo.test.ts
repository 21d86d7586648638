/**
 * `info` reports the machine with a measured FMA peak; `demo` runs on a fresh machine with no files.
 * (`bench` takes minutes and is not run here; its wiring is checked through --help.)
 */
import { cli, cliJson, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

/** A figure the command measured: the report carries a finite number (its size is the machine's). */
const isMeasured = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

it('info --json has version, isa, isas, openmp, threads, and the measured FMA peak with its isa', () => {
  const r = cliJson(['info', '--seconds', '0.05'], dir);
  expect(r.code).toBe(0);
  expect(r.json).toMatchObject({ command: 'info', version: expect.any(String), isa: expect.any(String), openmp: expect.any(Boolean), threads: expect.any(Number) });
  expect(r.json.isas).toContain(r.json.isa);
  expect(r.json.peakIsa).toBe(r.json.isa);
  expect(isMeasured(r.json.fmaPeakGflops)).toBe(true);
});

it('info --isa measures the peak of another kernel, and names the kernels on a wrong one', () => {
  const scalar = cliJson(['info', '--seconds', '0.05', '--isa', 'scalar'], dir);
  expect(scalar.code).toBe(0);
  expect(scalar.json.peakIsa).toBe('scalar');
  expect(isMeasured(scalar.json.fmaPeakGflops)).toBe(true);
  const bad = cli(['info', '--isa', 'neon'], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: --isa must be one of scalar(, \w+)* \(the kernels this CPU runs\), got 'neon'$/m);
});

it('info prints a readable summary', () => {
  const r = cli(['info', '--seconds', '0.05', '--threads', '1'], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^kernel: +\w+ \(available: /m);
  expect(r.stdout).toMatch(/^caches: +L1d \d+ KiB, L2 [\d.]+ [KM]iB per core, L3 [\d.]+ [KM]iB \((from sysfs|from cpuid|not found: built-in defaults)\)$/m);
  expect(r.stdout).toMatch(/^FMA peak: +[\d.]+ GFLOP\/s FP32 with 1 thread, \w+ vectors \(measured\)$/m);
});

it('demo exits 0 and prints native and reference timings that agree', () => {
  const r = cli(['demo'], dir);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/non-local block .* on x \[1, 256, 32, 32\]/);
  expect(r.stdout).toMatch(/native: +[\d.]+ ms/);
  expect(r.stdout).toMatch(/reference \(JS\): +[\d.]+ ms/);
  const diff = /max \|native − JS\| = ([\d.e+-]+)/.exec(r.stdout);
  expect(Number(diff![1])).toBeLessThan(1e-4);
});

it('demo --json and bench --help', () => {
  const r = cliJson(['demo', '--threads', '1'], dir);
  expect(r.code).toBe(0);
  expect(r.json).toMatchObject({ command: 'demo', ok: true, threads: 1, block: { input: [1, 256, 32, 32] } });
  expect(isMeasured(r.json.block.nativeMs)).toBe(true);
  expect(r.json.block.maxAbsDiff).toBeLessThan(1e-4);
  const help = cli(['bench', '--help'], dir);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--json/);
});
