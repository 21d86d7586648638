// Throughput of k overlapping attentionAsync calls against the same k calls one after another
// (issue #5: 8 concurrent calls on 2 cores must reach ≥ 90% of the sequential throughput).
// Usage: node tools/concurrency-check.js [calls=8] [N=4096] [d=64] [rounds=5]   (after npm run build:ts)
'use strict';
const { attention, attentionAsync } = require('../dist/lib/index.js');

const [calls = 8, N = 4096, d = 64, rounds = 5] = process.argv.slice(2).map(Number);
const tensor = (seed) => {
  const data = new Float32Array(N * d);
  let x = seed;
  for (let i = 0; i < data.length; i++) { x = (x * 1103515245 + 12345) >>> 0; data[i] = x / 2 ** 32 - 0.5; }
  return { data, shape: [1, N, d] };
};
const q = tensor(1), k = tensor(2), v = tensor(3);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

(async () => {
  attention(q, k, v); // warm-up: scratch, OpenMP team
  const sequential = [], concurrent = [];
  for (let r = 0; r < rounds; r++) { // interleaved, medians
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) attention(q, k, v);
    sequential.push(ms(t0));
    t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: calls }, () => attentionAsync(q, k, v)));
    concurrent.push(ms(t0));
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const s = median(sequential), c = median(concurrent);
  console.log(`${calls} calls of [1,${N},${d}]²: one after another ${s.toFixed(1)} ms, all at once (attentionAsync) ${c.toFixed(1)} ms`);
  console.log(`concurrent throughput = ${(100 * s / c).toFixed(1)}% of sequential (medians of ${rounds} interleaved rounds)`);
})();
