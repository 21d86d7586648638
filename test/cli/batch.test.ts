/**
 * `batch`: every good input is processed even when one is corrupt (exit 1, the bad file reported
 * with its code), re-runs skip finished outputs, shards partition the inputs, and the outputs are
 * nonLocalBlock()'s bit for bit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadNonLocalWeights, nonLocalBlock, readNpy, type NonLocalWeights } from '../../lib/index';
import { cli, cliJson, sameBits, strayFiles, tempDir, writeMmcvWeights, writeRandomNpy } from './helpers';

let dir: string;
let cleanup: () => void;
let weights: NonLocalWeights;
const NAMES = ['a0.npy', 'a1.npy', 'b2.npy', 'b3.npy', 'c4.npy', 'c5.npy', 'd6.npy'];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  writeMmcvWeights(path.join(dir, 'w.safetensors'), 8, 4, 11);
  weights = await loadNonLocalWeights(path.join(dir, 'w.safetensors'));
  fs.mkdirSync(path.join(dir, 'good'));
  NAMES.forEach((name, i) => writeRandomNpy(path.join(dir, 'good', name), [1, 8, 5 + i, 6], 100 + i));
  fs.writeFileSync(path.join(dir, 'good', 'notes.txt'), 'not an input');
  // The same plus one truncated file.
  fs.mkdirSync(path.join(dir, 'mixed'));
  for (const name of NAMES) fs.copyFileSync(path.join(dir, 'good', name), path.join(dir, 'mixed', name));
  const whole = fs.readFileSync(path.join(dir, 'good', 'a1.npy'));
  fs.writeFileSync(path.join(dir, 'mixed', 'b2.npy'), whole.subarray(0, whole.length - 40));
});
afterAll(() => cleanup());

function expectOutputsCorrect(outDir: string, names: readonly string[]): void {
  for (const name of names) {
    const x = readNpy(path.join(dir, 'good', name));
    expect(sameBits(readNpy(path.join(outDir, name)), nonLocalBlock(x, weights))).toBe(true);
  }
}

it('processes the others past a corrupt file, reports it with its code, exits 1', () => {
  const r = cliJson(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-mixed', 'mixed'], dir);
  expect(r.code).toBe(1);
  expect(r.json).toMatchObject({ command: 'batch', ok: false, interrupted: false, counts: { inputs: 7, selected: 7, done: 6, skipped: 0, failed: 1, notProcessed: 0 } });
  expect(r.json.errors).toEqual([{ path: path.join('mixed', 'b2.npy'), code: 'NPY_TRUNCATED', message: expect.stringMatching(/truncated/) }]);
  expect(r.json.files.map((f: { status: string }) => f.status)).toEqual(['done', 'done', 'failed', 'done', 'done', 'done', 'done']);
  expect(typeof r.json.isa).toBe('string');
  expect(r.stderr).toMatch(/^mixed\/b2\.npy: data is truncated.*\[NPY_TRUNCATED\]$/m);
  const written = NAMES.filter((n) => n !== 'b2.npy');
  expect(fs.readdirSync(path.join(dir, 'out-mixed')).sort()).toEqual(written);
  expectOutputsCorrect(path.join(dir, 'out-mixed'), written);
});

it('a re-run skips finished outputs; --overwrite redoes them', () => {
  const out = path.join(dir, 'out-rerun');
  const first = cli(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-rerun', 'good'], dir);
  expect(first.code).toBe(0);
  // Without --json, stdout lists the outputs written, one per line.
  expect(first.stdout.trim().split('\n')).toEqual(NAMES.map((n) => path.join('out-rerun', n)));
  fs.rmSync(path.join(out, 'c4.npy')); // as if the batch had been interrupted before c4
  const stamp = fs.statSync(path.join(out, 'a0.npy')).mtimeMs;
  const second = cliJson(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-rerun', 'good'], dir);
  expect(second.code).toBe(0);
  expect(second.json.counts).toMatchObject({ done: 1, skipped: 6, failed: 0 });
  expect(second.json.files.find((f: { input: string }) => f.input.endsWith('c4.npy')).status).toBe('done');
  expect(fs.statSync(path.join(out, 'a0.npy')).mtimeMs).toBe(stamp);
  const third = cliJson(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-rerun', 'good', '--overwrite', '--concurrency', '2'], dir);
  expect(third.code).toBe(0);
  expect(third.json.counts).toMatchObject({ done: 7, skipped: 0 });
  expect(third.json.threads).toBe(Math.max(1, Math.floor(require('node:os').availableParallelism() / 2)));
  expectOutputsCorrect(out, NAMES);
  expect(strayFiles(out)).toEqual([]);
});

it('--shard 0/3, 1/3, 2/3 partition the inputs (position in the sorted list mod 3)', () => {
  const taken: string[][] = [];
  for (let i = 0; i < 3; i++) {
    // Files and a folder, listed in a scrambled order and with a duplicate: same plan on every machine.
    const args = ['batch', '--weights', 'w.safetensors', '--out-dir', `out-shard${i}`, '--shard', `${i}/3`, path.join('good', 'd6.npy'), 'good', './good/a0.npy'];
    const r = cliJson(args, dir);
    expect(r.code).toBe(0);
    expect(r.json.counts.inputs).toBe(7);
    expect(r.json.shard).toEqual({ index: i, count: 3 });
    taken.push(r.json.files.map((f: { input: string }) => path.basename(f.input)));
    expect(fs.readdirSync(path.join(dir, `out-shard${i}`)).sort()).toEqual(taken[i]);
  }
  expect(taken).toEqual([0, 1, 2].map((i) => NAMES.filter((_, k) => k % 3 === i)));
  expect(taken.flat().sort()).toEqual(NAMES);
});

it('--fail-fast stops at the first failure and reports the rest as not processed', () => {
  const r = cliJson(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-ff', 'mixed', '--fail-fast'], dir);
  expect(r.code).toBe(1);
  expect(r.json.stoppedEarly).toBe('fail-fast');
  expect(r.json.files.map((f: { status: string }) => f.status)).toEqual(['done', 'done', 'failed', 'not_processed', 'not_processed', 'not_processed', 'not_processed']);
  expect(r.json.counts).toMatchObject({ done: 2, failed: 1, notProcessed: 4 });
});

it('a missing input is that file\'s ENOENT; the others still run', () => {
  const r = cliJson(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-missing', 'nowhere.npy', path.join('good', 'a0.npy')], dir);
  expect(r.code).toBe(1);
  expect(r.json.errors).toEqual([expect.objectContaining({ path: 'nowhere.npy', code: 'ENOENT' })]);
  expect(r.json.counts).toMatchObject({ done: 1, failed: 1 });
});

it('refuses inputs whose outputs would collide, or an out-dir that would overwrite an input (exit 2)', () => {
  const clash = cli(['batch', '--weights', 'w.safetensors', '--out-dir', 'out-clash', 'good', path.join('mixed', 'a0.npy')], dir);
  expect(clash.code).toBe(2);
  expect(clash.stderr).toMatch(/share the file name a0\.npy/);
  expect(fs.existsSync(path.join(dir, 'out-clash'))).toBe(false);
  const before = fs.readFileSync(path.join(dir, 'good', 'a0.npy'));
  const self = cli(['batch', '--weights', 'w.safetensors', '--out-dir', 'good', 'good', '--overwrite'], dir);
  expect(self.code).toBe(2);
  expect(self.stderr).toMatch(/would be overwritten by its own output/);
  expect(fs.readFileSync(path.join(dir, 'good', 'a0.npy')).equals(before)).toBe(true);
});
