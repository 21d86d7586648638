/**
 * Concurrency: 200 overlapping async calls of both kinds with different shapes and thread counts,
 * calls from several worker_threads at once, and garbage collection while async work runs — every
 * result equal, bit for bit, to the synchronous one.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { attention, attentionAsync, nonLocalBlock, nonLocalBlockAsync } from '../../lib/index';
import { AFFINITIES, type Affinity, type Tensor } from '../../lib/core/tensor';
import { randomFloats } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

const dist = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'index.js');
const t = (shape: number[], seed: number): Tensor => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });
const MODES = AFFINITIES;

function call(i: number) {
  const mode = MODES[i % 4];
  const threads = 1 + (i % 3);
  if (i % 2 === 0) {
    const N = 5 + ((i * 37) % 200);
    const M = 3 + ((i * 53) % 300);
    const d = 1 + ((i * 7) % 40);
    const options = mode === 'concatenation' ? { affinity: mode, threads, concatWeights: { query: randomFloats(d, i), key: randomFloats(d, i + 1) } } : { affinity: mode, threads, scale: 0.3 };
    const args = [t([N, d], 3 * i), t([M, d], 3 * i + 1), t([M, 1 + (i % 17)], 3 * i + 2)] as const;
    return { sync: () => attention(...args, options).data, async: () => attentionAsync(...args, options) };
  }
  const C = 2 + (i % 9);
  const w = randomWeights({ C, Ci: 1 + (i % 4), mode, bn: i % 3 === 0, outBias: true, useScale: true, subSample: i % 4 === 1, poolBeforeConv: i % 8 === 1, seed: i });
  const x = t([1 + (i % 2), C, 4 + (i % 5), 5 + (i % 3)], 1000 + i);
  return { sync: () => nonLocalBlock(x, w, { threads }).data, async: () => nonLocalBlockAsync(x, w, { threads }) };
}

test('200 overlapping async calls (operator and block, four modes, 1–3 threads) equal the sync results', async () => {
  const calls = Array.from({ length: 200 }, (_, i) => call(i));
  const results = await Promise.all(calls.map((c) => c.async()));
  results.forEach((r, i) => expect(r.data).toEqual(calls[i].sync()));
});

test('calls from four worker_threads at once equal the main thread\'s', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const lib = require(${JSON.stringify(dist)});
    const { q, k, v, x, w } = workerData;
    (async () => {
      const out = [];
      for (let round = 0; round < 5; round++) {
        out.push(lib.attention(q, k, v, { threads: 2 }).data);
        out.push((await lib.attentionAsync(q, k, v, { threads: 1 })).data);
        out.push(lib.nonLocalBlock(x, w, { threads: 2 }).data);
        out.push((await lib.nonLocalBlockAsync(x, w)).data);
      }
      parentPort.postMessage(out);
    })();
  `;
  const w = randomWeights({ C: 8, Ci: 4, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: true, poolBeforeConv: false, seed: 3 });
  const data = { q: t([300, 32], 1), k: t([400, 32], 2), v: t([400, 16], 3), x: t([2, 8, 12, 10], 4), w };
  const want = [attention(data.q, data.k, data.v).data, nonLocalBlock(data.x, w).data];
  const runs = await Promise.all(
    Array.from({ length: 4 }, () => new Promise<Float32Array[]>((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData: data });
      worker.once('message', resolve);
      worker.once('error', reject);
    })),
  );
  for (const out of runs) out.forEach((y, i) => expect(y).toEqual(want[i % 4 < 2 ? 0 : 1]));
});

test('garbage collection while async calls run, with the inputs dropped by the caller, is safe', () => {
  const script = `
    const lib = require(${JSON.stringify(dist)});
    const seeded = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.01 + s));
    const make = (i) => [{ data: seeded(400 * 32, i), shape: [400, 32] }, { data: seeded(500 * 32, i + 1), shape: [500, 32] }, { data: seeded(500 * 24, i + 2), shape: [500, 24] }];
    const pending = [];
    for (let i = 0; i < 40; i++) pending.push(lib.attentionAsync(...make(i), { threads: 1 + (i % 2) }));
    const timer = setInterval(() => global.gc(), 1);
    Promise.all(pending).then((results) => {
      clearInterval(timer);
      global.gc();
      let bad = 0;
      results.forEach((r, i) => { const want = lib.attention(...make(i)).data; for (let j = 0; j < want.length; j++) if (Object.is(want[j], r.data[j]) === false) bad++; });
      process.stdout.write(JSON.stringify({ calls: results.length, bad }));
    });
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script]).toString()) as { calls: number; bad: number };
  expect(r).toEqual({ calls: 40, bad: 0 });
});
