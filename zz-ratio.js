const nl = require('./dist/lib/index.js');
const { seededFloats: seeded } = require('./dist/lib/core/seeded-random.js');
const N = 4096, d = 64, threads = Number(process.argv[2] || 2);
const q = { data: seeded(N * d, 1), shape: [1, N, d] }, k = { data: seeded(N * d, 2), shape: [1, N, d] }, v = { data: seeded(N * d, 3), shape: [1, N, d] };
const out = new Float32Array(N * d);
const A = [], C = [];
const t = (o) => { const s = process.hrtime.bigint(); nl.attention(q, k, v, o); return Number(process.hrtime.bigint() - s) / 1e6; };
const base = { scale: 0.125, out, threads, heads: 1, kvHeads: 1 };
for (let i = 0; i < 5; i++) { t(base); t({ ...base, causal: true }); }
for (let i = 0; i < 40; i++) { A.push(t(base)); C.push(t({ ...base, causal: true })); }
const med = (x) => x.sort((a, b) => a - b)[x.length >> 1];
console.log(`threads ${threads}: non-causal ${med(A).toFixed(2)} causal ${med(C).toFixed(2)} ratio ${(med(C) / med(A)).toFixed(3)}`);
