/**
 * Against ONNX Runtime's own kernels (onnxruntime-node, CPU EP): com.microsoft MultiHeadAttention
 * with an additive attention_bias in each broadcast form and with unidirectional (causal), and
 * GroupQueryAttention (causal, Hkv < H) at ratios 2, 4 and H (multi-query). Ours must agree to
 * 1e-4 (max abs) with attention({ attentionBias }), ({ causal: true }) and ({ kvHeads }).
 *
 * In a child process: onnxruntime-common checks `data instanceof Float32Array`, which fails across
 * Jest's vm realm (see the ecosystem notes).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const script = `
const ort = require('onnxruntime-node');
const { attention } = require(${JSON.stringify(path.join(root, 'dist/lib/index.js'))});
const { seededFloats } = require(${JSON.stringify(path.join(root, 'dist/lib/core/seeded-random.js'))});
const { mhaGraph, gqaGraph } = require(${JSON.stringify(path.join(root, 'dist/bench/ort/masked-attention-graphs.js'))});
// [B][H][R][d] ↔ [B][R][H·d] (ORT's layout)
const headsLast = (x, B, H, R, d) => { const o = new Float32Array(x.length); for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let r = 0; r < R; r++) for (let c = 0; c < d; c++) o[((b * R + r) * H + h) * d + c] = x[((b * H + h) * R + r) * d + c]; return o; };
const maxAbs = (a, b) => { let m = 0; for (let i = 0; i < a.length; i++) { const e = Math.abs(a[i] - b[i]); if (!(e <= m)) m = e; } return m; };
let seed = 1;
const rand = (n, lo = -1, hi = 1) => seededFloats(n, seed++, lo, hi);
const tensor = (data, dims) => new ort.Tensor('float32', data, dims);
(async () => {
  const results = [];
  for (const [B, H, N, M, d, bb, bh, inf] of [[2, 4, 33, 47, 16, 1, 4, false], [2, 4, 40, 29, 8, 2, 1, true], [1, 8, 64, 64, 32, 1, 8, true], [2, 2, 17, 70, 12, 2, 2, false]]) {
    const q = rand(B * H * N * d), k = rand(B * H * M * d), v = rand(B * H * M * d);
    const bias = rand(bb * bh * N * M, -3, 3);
    if (inf) for (let x = 0; x < bias.length; x += 5) bias[x] = -Infinity;
    const g = mhaGraph({ B, H, Hkv: H, N, M, d }, 0.3, { biasDims: [bb, bh, N, M] });
    const session = await ort.InferenceSession.create(g.model);
    const feeds = { query: tensor(headsLast(q, B, H, N, d), [B, N, H * d]), key: tensor(headsLast(k, B, H, M, d), [B, M, H * d]), value: tensor(headsLast(v, B, H, M, d), [B, M, H * d]), attention_bias: tensor(bias, [bb, bh, N, M]) };
    const theirs = (await session.run(feeds))[g.output].data;
    const ours = attention({ data: q, shape: [B, H, N, d] }, { data: k, shape: [B, H, M, d] }, { data: v, shape: [B, H, M, d] }, { scale: 0.3, attentionBias: { data: bias, shape: [bb, bh, N, M] } });
    results.push({ what: 'MultiHeadAttention attention_bias [' + [bb, bh, N, M] + ']' + (inf ? ' with -inf' : ''), maxAbs: maxAbs(headsLast(ours.data, B, H, N, d), theirs) });
  }
  {
    const B = 2, H = 4, N = 50, d = 16;
    const q = rand(B * H * N * d), k = rand(B * H * N * d), v = rand(B * H * N * d);
    const g = mhaGraph({ B, H, Hkv: H, N, M: N, d }, 0.25, { causal: true });
    const session = await ort.InferenceSession.create(g.model);
    const theirs = (await session.run({ query: tensor(headsLast(q, B, H, N, d), [B, N, H * d]), key: tensor(headsLast(k, B, H, N, d), [B, N, H * d]), value: tensor(headsLast(v, B, H, N, d), [B, N, H * d]) }))[g.output].data;
    const ours = attention({ data: q, shape: [B, H, N, d] }, { data: k, shape: [B, H, N, d] }, { data: v, shape: [B, H, N, d] }, { scale: 0.25, causal: true });
    results.push({ what: 'MultiHeadAttention unidirectional', maxAbs: maxAbs(headsLast(ours.data, B, H, N, d), theirs) });
  }
  for (const [H, Hkv] of [[4, 2], [8, 2], [8, 1]]) {
    const B = 2, N = 45, d = 16;
    const q = rand(B * H * N * d), k = rand(B * Hkv * N * d), v = rand(B * Hkv * N * d);
    const g = gqaGraph({ B, H, Hkv, N, M: N, d }, 0.25);
    const session = await ort.InferenceSession.create(g.model);
    const theirs = (await session.run({ query: tensor(headsLast(q, B, H, N, d), [B, N, H * d]), key: tensor(headsLast(k, B, Hkv, N, d), [B, N, Hkv * d]), value: tensor(headsLast(v, B, Hkv, N, d), [B, N, Hkv * d]) }))[g.output].data;
    // Rank 3, ORT's own layout: heads + kvHeads.
    const ours = attention({ data: headsLast(q, B, H, N, d), shape: [B, N, H * d] }, { data: headsLast(k, B, Hkv, N, d), shape: [B, N, Hkv * d] }, { data: headsLast(v, B, Hkv, N, d), shape: [B, N, Hkv * d] }, { scale: 0.25, causal: true, heads: H, kvHeads: Hkv });
    results.push({ what: 'GroupQueryAttention H=' + H + ' Hkv=' + Hkv, maxAbs: maxAbs(ours.data, theirs) });
  }
  process.stdout.write(JSON.stringify(results));
})().catch((e) => { process.stderr.write(String(e && e.stack)); process.exit(1); });
`;

test('MultiHeadAttention (attention_bias, unidirectional) and GroupQueryAttention agree with ours to 1e-4', () => {
  const results = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 })) as { what: string; maxAbs: number }[];
  expect(results.map((r) => r.what)).toEqual([
    'MultiHeadAttention attention_bias [1,4,33,47]',
    'MultiHeadAttention attention_bias [2,1,40,29] with -inf',
    'MultiHeadAttention attention_bias [1,8,64,64] with -inf',
    'MultiHeadAttention attention_bias [2,2,17,70]',
    'MultiHeadAttention unidirectional',
    'GroupQueryAttention H=4 Hkv=2',
    'GroupQueryAttention H=8 Hkv=2',
    'GroupQueryAttention H=8 Hkv=1',
  ]);
  for (const r of results) {
    if (!(r.maxAbs <= 1e-4)) throw new Error(`${r.what}: max abs ${r.maxAbs}`);
  }
  // Printed for the record (the closing note quotes it).
  process.stdout.write(`ORT agreement (max abs): ${results.map((r) => `${r.what} ${r.maxAbs.toExponential(1)}`).join('; ')}\n`);
});
