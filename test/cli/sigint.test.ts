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

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  writeMmcvWeights(path.join(dir, 'w.safetensors'), 16, 16, 3);
});
afterAll(() => cleanup());

/** `in-<count>/`: `count` inputs of N = M = 9216 positions and 16 channels (made once per count). */
function inputs(count: number): string {
  const name = `in-${count}`;
  if (!fs.existsSync(path.join(dir, name))) {
    fs.mkdirSync(path.join(dir, name));
    for (let i = 0; i < count; i++) writeRandomNpy(path.join(dir, name, `f${String(i).padStart(3, '0')}.npy`), [1, 16, 96, 96], 500 + i);
  }
  return name;
}

/** Polls (every 10 ms) until `condition` holds or the child has exited; true if it held. */
async function whileRunning(condition: () => boolean, exited: () => boolean): Promise<boolean> {
  while (!condition()) {
    if (exited()) return condition();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('stops cleanly on %s: exit %d, no partial file, every output complete and correct', async (signal, exitCode) => {
  // The signal is sent once the first output exists. Should the batch end before the signal
  // lands (a fast machine), nothing was interrupted, so the run is repeated with four times the
  // files: what is checked never depends on how fast the machine is.
  for (const files of [24, 96, 384]) {
    const input = inputs(files);
    const outName = `out-${signal}-${files}`;
    const out = path.join(dir, outName);
    const { child, done } = startCli(['batch', '--weights', 'w.safetensors', '--out-dir', outName, input, '--threads', '1', '--json'], dir);
    let exited = false;
    void done.then(() => { exited = true; }, () => { exited = true; });
    const started = await whileRunning(() => fs.existsSync(out) && fs.readdirSync(out).some((n) => n.endsWith('.npy') && !n.startsWith('.')), () => exited);
    if (started && !exited) child.kill(signal);
    const r = await done;
    const doc = JSON.parse(r.stdout) as { interrupted: boolean; signal: string; counts: { done: number; notProcessed: number; failed: number } };
    if (r.code === 0 && !doc.interrupted) {
      expect(doc.counts).toMatchObject({ done: files, notProcessed: 0, failed: 0 });
      process.stderr.write(`sigint: all ${files} files were done before ${signal} landed; retrying with more\n`);
      continue;
    }
    expect(r.code).toBe(exitCode);
    expect(doc).toMatchObject({ interrupted: true, signal });
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.notProcessed).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/interrupted|terminated/);
    expect(strayFiles(out)).toEqual([]);
    const outputs = fs.readdirSync(out);
    expect(outputs.length).toBe(doc.counts.done);
    expect(outputs.length).toBeLessThan(files);
    const weights = await loadNonLocalWeights(path.join(dir, 'w.safetensors'));
    for (const name of outputs) {
      expect(sameBits(readNpy(path.join(out, name)), nonLocalBlock(readNpy(path.join(dir, input, name)), weights))).toBe(true);
    }
    return;
  }
  throw new Error(`every batch ended before ${signal} landed`);
});
