/**
 * The kernel never holds N×M: at N = M = 16384, d = 64 (an N×M float matrix would be 1 GiB) the
 * peak RSS of a call stays within the inputs + output + a few MB.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

test('peak RSS of N = M = 16384, d = 64 grows by less than 8 MB over inputs + output', () => {
  const lib = path.resolve(__dirname, '..', 'dist', 'lib', 'index.js');
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
