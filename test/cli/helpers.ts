/**
 * Running the built CLI as a user would (node dist/lib/cli/main.js …, child_process) in fresh
 * temporary folders, and making its inputs with the library.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededFloats } from '../../lib/core/seeded-random';
import { writeNpy, writeSafetensors, type Tensor } from '../../lib/index';

/** The built CLI (`npx tsc -p tsconfig.json` first). */
export const CLI = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion in `cwd`. */
export function cli(args: readonly string[], cwd: string): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI with --json appended and parses its one JSON document. */
export function cliJson(args: readonly string[], cwd: string): RunResult & { json: Record<string, any> } {
  const r = cli([...args, '--json'], cwd);
  let json: Record<string, any>;
  try {
    json = JSON.parse(r.stdout) as Record<string, any>;
  } catch (error) {
    throw new Error(`stdout is not one JSON document (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { ...r, json };
}

/** Starts the CLI without waiting (for the SIGINT test). */
export function startCli(args: readonly string[], cwd: string): { child: ReturnType<typeof spawn>; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nonlocal-cli-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic floats in [-0.5, 0.5) (the package's one seeded generator). */
export function randomFloats(n: number, seed: number): Float32Array {
  return seededFloats(n, seed, -0.5, 0.5);
}

/** A random tensor of `shape`, written to `file`. */
export function writeRandomNpy(file: string, shape: number[], seed: number): Tensor {
  const t = { data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape };
  writeNpy(file, t);
  return t;
}

/** An mmcv-style NonLocal2d state dict (g, θ, φ, conv_out; no BN) with random weights. */
export function writeMmcvWeights(file: string, C: number, Ci: number, seed: number): void {
  let s = seed;
  const t = (shape: number[]): Tensor => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), (s += 7)), shape });
  writeSafetensors(file, {
    'g.conv.weight': t([Ci, C, 1, 1]),
    'g.conv.bias': t([Ci]),
    'theta.conv.weight': t([Ci, C, 1, 1]),
    'theta.conv.bias': t([Ci]),
    'phi.conv.weight': t([Ci, C, 1, 1]),
    'phi.conv.bias': t([Ci]),
    'conv_out.conv.weight': t([C, Ci, 1, 1]),
    'conv_out.conv.bias': t([C]),
  });
}

/** Whether two tensors are identical, shape and every bit of data. */
export function sameBits(a: Tensor, b: Tensor): boolean {
  return (
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => d === b.shape[i]) &&
    Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))
  );
}

/** Files in a folder that are not finished outputs (temporary or hidden files). */
export function strayFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith('.') || name.endsWith('.tmp'));
}
