/**
 * The kernel never holds N×M: at N = M = 16384, d = 64 (an N×M float matrix would be 1 GiB) the
 * peak RSS of a call stays within the inputs + output + a few MB.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

test('peak RSS of N = M = 16384, d = 64 grows by less than 8 MB over inputs + output', () => {
  const lib = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'index.js');
  const script = `
    const { attention } = require(${JSON.stringify(lib)});
    const n = 16384, d = 64;
    const make = () => { const a = new Float32Array(n * d); for (let i = 0; i < a.length; i++) a[i] = Math.sin(i); return { data: a, shape: [n, d] }; };
    const q = make(), k = make(), v = make();
    const out = new Float32Array(n * d).fill(1);               // resident before the call
    attention({ data: q.data.subarray(0, 64 * d), shape: [64, d] }, k, v); // load the addon, start OpenMP
    const before = process.resourceUsage().maxRSS;
    attention(q, k, v, { out, scale: 0.125 });
    const after = process.resourceUsage().maxRSS;
    process.stdout.write(JSON.stringify({ before, after, finite: out.every(Number.isFinite) }));
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['-e', script]).toString()) as { before: number; after: number; finite: boolean };
  const growthMB = (r.after - r.before) / 1024;
  process.stderr.write(`memory: peak RSS ${(r.before / 1024).toFixed(1)} MB before the call, ${(r.after / 1024).toFixed(1)} MB after (+${growthMB.toFixed(2)} MB)\n`);
  expect(r.finite).toBe(true);
  expect(growthMB).toBeLessThan(8);
});

test('the block never holds N×M either: C = 64, 128×128 positions (N×M would be 1 GiB) grows RSS by < 40 MB', () => {
  const lib = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'index.js');
  const script = `
    const { nonLocalBlock } = require(${JSON.stringify(lib)});
    const C = 64, Ci = 32, H = 128, W = 128;
    const r = (n, s) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.sin(i * s) * 0.1; return a; };
    const conv = (o, i, s) => ({ weight: r(o * i, s), bias: r(o, s + 1) });
    const weights = { convention: 'mmcv', inChannels: C, interChannels: Ci, dims: 2, theta: conv(Ci, C, 1), phi: conv(Ci, C, 2), g: conv(Ci, C, 3),
      out: conv(C, Ci, 4), bn: null, concatProject: null, defaults: { mode: 'embedded_gaussian', useScale: true, subSample: false, poolBeforeConv: false } };
    const x = { data: r(C * H * W, 5), shape: [1, C, H, W] };
    nonLocalBlock({ data: x.data.subarray(0, C * 16), shape: [1, C, 4, 4] }, weights); // load the addon, start OpenMP
    const before = process.resourceUsage().maxRSS;
    const z = nonLocalBlock(x, weights);
    const after = process.resourceUsage().maxRSS;
    process.stdout.write(JSON.stringify({ before, after, finite: z.data.every(Number.isFinite) }));
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['-e', script]).toString()) as { before: number; after: number; finite: boolean };
  const growthMB = (r.after - r.before) / 1024;
  process.stderr.write(`memory (block): peak RSS +${growthMB.toFixed(1)} MB for N = M = 16384, C = 64 (output 4 MB, scratch O(N·(C + Ci)))\n`);
  expect(r.finite).toBe(true);
  expect(growthMB).toBeLessThan(40);
});

test('a workspace too large is a RangeError before anything is allocated (never an abort or the OOM killer)', () => {
  // q/k width 2^24: the transposed query block alone would take Br · 2^24 · 4 bytes ≥ 1 GiB.
  const { attention } = require(path.resolve(__dirname, '..', '..', 'dist', 'lib', 'index.js')) as typeof import('../../lib/index');
  const d = 2 ** 24;
  const q = { data: new Float32Array(d), shape: [1, d] };
  const v = { data: new Float32Array(1), shape: [1, 1] };
  expect(() => attention(q, q, v)).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/scratch would exceed its 1 GiB limit/) }));
});
