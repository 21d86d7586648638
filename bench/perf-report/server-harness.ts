/**
 * Driving examples/inference-server/server.js from another process: the weights it serves, the
 * server itself on a free port, the load-client.js processes (the burst and the /healthz poller),
 * and a burst's request files with the answers expected for them. Shared by the server test
 * (test/server/inference-server.test.ts), which checks the answers, and the perf-report section
 * (server-burst.ts), which times them.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { encodeNpy, nonLocalBlock, writeSafetensors, type NonLocalWeights, type Tensor } from '../../lib/index';
import { seededFloats } from '../../lib/core/seeded-random';
import { ROOT } from './paths';

export const SERVER = path.join(ROOT, 'examples', 'inference-server', 'server.js');
export const CLIENT = path.join(ROOT, 'examples', 'inference-server', 'load-client.js');

/** One /healthz poll as load-client.js reports it (absolute ms; busy: a block was running or queued). */
export interface Poll { t0: number; t1: number; ok: boolean; busy: boolean; firstOnConnection: boolean }
/** The burst as load-client.js reports it; the answers are in dir/res-<i>.bin. */
export interface BurstResult { start: number; end: number; replies: { status: number; contentType: string; elapsedMs: number; latencyMs: number }[] }

/** An mmcv NonLocal2d weight set (g, theta, phi, conv_out as ConvModule 1×1 convs with bias, values in ±0.1), as safetensors. */
export function writeMmcvWeights(file: string, channels: number, inter: number): void {
  const tensors: Record<string, Tensor> = {};
  let seed = 10;
  for (const [name, o, i] of [['g', inter, channels], ['theta', inter, channels], ['phi', inter, channels], ['conv_out', channels, inter]] as const) {
    tensors[`${name}.conv.weight`] = { data: seededFloats(o * i, seed++, -0.1, 0.1), shape: [o, i, 1, 1] };
    tensors[`${name}.conv.bias`] = { data: seededFloats(o, seed++, -0.1, 0.1), shape: [o] };
  }
  writeSafetensors(file, tensors);
}

/** A tensor as the raw little-endian float32 body of POST /block. */
export function rawBody(x: Tensor): Uint8Array {
  return new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
}

/**
 * The burst's request files in `dir` (req-<i>.bin and manifest.json, raw and .npy bodies in turn,
 * inputs seeded 1000 + i) and the .npy bytes each answer must be: encodeNpy(nonLocalBlock(x)).
 */
export function writeBurst(dir: string, weights: NonLocalWeights, requests: number, shape: number[]): { inputs: Tensor[]; expected: Buffer[] } {
  const inputs: Tensor[] = [];
  const expected: Buffer[] = [];
  const manifest: { headers: Record<string, string> }[] = [];
  for (let i = 0; i < requests; i++) {
    const x: Tensor = { data: seededFloats(shape.reduce((a, b) => a * b, 1), 1000 + i), shape };
    inputs.push(x);
    const npy = encodeNpy(nonLocalBlock(x, weights));
    expected.push(Buffer.from(npy.buffer, npy.byteOffset, npy.byteLength));
    const raw = i % 2 === 0;
    manifest.push({ headers: raw ? { 'Content-Type': 'application/octet-stream', 'X-Shape': shape.join(',') } : { 'Content-Type': 'application/x-npy' } });
    fs.writeFileSync(path.join(dir, `req-${i}.bin`), raw ? rawBody(x) : encodeNpy(x));
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { inputs, expected };
}

/** The line of a child's stderr that says what went wrong: the first "…Error: …" line, else the last line. */
function whatFailed(stderrText: string): string {
  const lines = stderrText.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines[lines.length - 1] ?? 'nothing on stderr';
}

/** Starts the server on 127.0.0.1, port 0; resolves with its listening line's address. The child goes into `children`. */
export function startServer(weightsFile: string, maxBytes: number, children: ChildProcess[], extraArgs: readonly string[] = []): Promise<{ host: string; port: number; block: Record<string, unknown> }> {
  const child = spawn(process.execPath, [SERVER, '--weights', weightsFile, '--host', '127.0.0.1', '--port', '0', '--max-bytes', String(maxBytes), ...extraArgs], {
    env: { ...process.env }, // the server sets OMP_WAIT_POLICY=passive itself unless it is set
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderrText = '';
  child.stderr!.on('data', (c: Buffer) => { stderrText += c.toString(); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start within 20 s: ${whatFailed(stderrText)}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        const ready = JSON.parse(out.slice(0, nl)) as { listening: { host: string; port: number }; block: Record<string, unknown> };
        resolve({ ...ready.listening, block: ready.block });
      } catch {
        reject(new Error(`unexpected first line from the server: ${out.slice(0, nl)}`));
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited with ${code}: ${whatFailed(stderrText)}`)); });
  });
}

/** Forks load-client.js; resolves with the child once it reports { ready }. The child goes into `children`. */
export function startClient(args: string[], children: ChildProcess[], stdio: StdioOptions = ['ignore', 'inherit', 'inherit', 'ipc']): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = fork(CLIENT, args, { stdio });
    children.push(c);
    c.once('message', (m: { ready?: boolean }) => (m.ready ? resolve(c) : reject(new Error(`load-client ${args[0]}: unexpected ${JSON.stringify(m)}`))));
    c.once('exit', (code) => reject(new Error(`load-client ${args[0]} exited with ${code}`)));
  });
}

/** The next IPC message of a load client. */
export function nextMessage<T>(c: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    c.once('message', (m) => resolve(m as T));
    c.once('exit', (code) => reject(new Error(`load-client exited with ${code}`)));
  });
}

/** Kills every child still running. */
export function killAll(children: ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
