/**
 * Ctrl-C (or a scheduler's SIGTERM) during a batch: the files in progress finish, nothing new
 * starts, no partial or temporary file remains, every output present is complete and correct, and
 * the exit code is 130 (143).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadNonLocalWeights, nonLocalBlock, readNpy } from '../../lib/index';
import { sameBits, startCli, strayFiles, tempDir, writeMmcvWeights, writeRandomNpy } from './helpers';

let dir: string;
let cleanup: () => void;
const FILES = 24;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  // Each file is big enough (N = M = 9216 positions, 16 channels) to take ~100 ms on one thread.
  writeMmcvWeights(path.join(dir, 'w.safetensors'), 16, 16, 3);
  fs.mkdirSync(path.join(dir, 'in'));
  for (let i = 0; i < FILES; i++) writeRandomNpy(path.join(dir, 'in', `f${String(i).padStart(2, '0')}.npy`), [1, 16, 96, 96], 500 + i);
});
afterAll(() => cleanup());

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('stops cleanly on %s: exit %d, no partial file, every output complete and correct', async (signal, exitCode) => {
  const out = path.join(dir, `out-${signal}`);
  const { child, done } = startCli(['batch', '--weights', 'w.safetensors', '--out-dir', `out-${signal}`, 'in', '--threads', '1', '--json'], dir);
  // Interrupt once the batch is under way (the first output exists), well before the end.
  await waitFor(() => fs.existsSync(out) && fs.readdirSync(out).some((n) => n.endsWith('.npy') && !n.startsWith('.')), 30_000);
  child.kill(signal);
  const r = await done;
  expect(r.code).toBe(exitCode);
  const doc = JSON.parse(r.stdout) as { interrupted: boolean; signal: string; counts: { done: number; notProcessed: number; failed: number } };
  expect(doc).toMatchObject({ interrupted: true, signal });
  expect(doc.counts.failed).toBe(0);
  expect(doc.counts.notProcessed).toBeGreaterThan(0);
  expect(r.stderr).toMatch(/interrupted|terminated/);
  expect(strayFiles(out)).toEqual([]);
  const outputs = fs.readdirSync(out);
  expect(outputs.length).toBe(doc.counts.done);
  expect(outputs.length).toBeLessThan(FILES);
  const weights = await loadNonLocalWeights(path.join(dir, 'w.safetensors'));
  for (const name of outputs) {
    expect(sameBits(readNpy(path.join(out, name)), nonLocalBlock(readNpy(path.join(dir, 'in', name)), weights))).toBe(true);
  }
});
