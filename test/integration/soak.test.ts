/**
 * Soak: a bounded loop of mixed calls (sync and async, operator and block, valid and invalid)
 * must not grow the process's memory beyond noise. Runs for NONLOCAL_SOAK_SECONDS (CI sets a short
 * bound; skipped, visibly, when the variable is absent).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const seconds = Number(process.env.NONLOCAL_SOAK_SECONDS ?? 0);
const maybe = seconds > 0 ? test : test.skip;

maybe(`no RSS growth over ${seconds} s of mixed calls`, () => {
  const dist = path.resolve(__dirname, '..', '..', 'dist', 'lib', 'index.js');
  const script = `
    const lib = require(${JSON.stringify(dist)});
    const seeded = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013 + s));
    const conv = (o, i, s) => ({ weight: seeded(o * i, s).map((v) => v * 0.2), bias: seeded(o, s + 1) });
    const w = { convention: 'mmcv', inChannels: 16, interChannels: 8, dims: 2, theta: conv(8, 16, 1), phi: conv(8, 16, 2), g: conv(8, 16, 3),
      out: conv(16, 8, 4), bn: null, concatProject: null, defaults: { mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false } };
    const deadline = Date.now() + ${seconds * 1000};
    const warmEnd = Date.now() + ${seconds * 200};
    let calls = 0, errors = 0, warmRss = 0;
    const samples = [];
    (async () => {
      while (Date.now() < deadline) {
        const n = 50 + (calls % 200);
        const q = { data: seeded(n * 32, calls), shape: [n, 32] };
        lib.attention(q, q, q, { threads: 1 + (calls % 2) });
        await lib.attentionAsync(q, q, q, { affinity: 'dot_product' });
        const x = { data: seeded(2 * 16 * 20 * 18, calls), shape: [2, 16, 20, 18] };
        lib.nonLocalBlock(x, w);
        await lib.nonLocalBlockAsync(x, w, { threads: 1 });
        try { lib.attention(q, { data: q.data, shape: [n, 31] }, q); } catch { errors++; }
        try { await lib.nonLocalBlockAsync({ data: x.data, shape: [2, 15, 20, 18] }, w); } catch { errors++; }
        calls += 6;
        if (calls % 60 === 0) {
          global.gc();
          const rss = process.memoryUsage().rss;
          if (Date.now() > warmEnd) { if (!warmRss) warmRss = rss; samples.push(rss); }
        }
      }
      global.gc();
      const end = process.memoryUsage().rss;
      const tail = samples.slice(-5);
      process.stdout.write(JSON.stringify({ calls, errors, warmRss, endRss: end, maxRss: Math.max(...samples, end), tailMean: tail.reduce((a, b) => a + b, 0) / tail.length }));
    })();
  `;
  const r = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { timeout: (seconds + 60) * 1000 }).toString()) as {
    calls: number; errors: number; warmRss: number; endRss: number; maxRss: number; tailMean: number;
  };
  const growthMB = (r.tailMean - r.warmRss) / 2 ** 20;
  process.stderr.write(`soak: ${r.calls} calls (${r.errors} rejected as designed) in ${seconds} s; RSS after warm-up ${(r.warmRss / 2 ** 20).toFixed(1)} MB, at the end ${(r.endRss / 2 ** 20).toFixed(1)} MB (growth ${growthMB.toFixed(2)} MB)\n`);
  expect(r.errors).toBe(r.calls / 3);
  expect(growthMB).toBeLessThan(8);
});
