/**
 * A real onnxruntime-node pipeline: ORT model → our block → ORT model. The first model's output
 * Tensor goes into nonLocalBlock as it is (data + dims), and the block's { data, shape } goes back
 * into `new ort.Tensor('float32', z.data, z.shape)` without a copy. The end result must match the
 * same pipeline computed in float64 by hand (1×1 convs) and reference.nonLocalBlock, and the block
 * must agree with ONNX Runtime running the same block as an ONNX graph.
 *
 * It runs in a child process: onnxruntime-common checks `data instanceof Float32Array`, which
 * fails across Jest's vm realm (see the ecosystem notes); a plain node process is the real use.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const script = `
const ort = require('onnxruntime-node');
const lib = require(${JSON.stringify(path.join(root, 'dist/lib/index.js'))});
const { GraphBuilder } = require(${JSON.stringify(path.join(root, 'dist/bench/ort/onnx-builder.js'))});
const { blockGraph } = require(${JSON.stringify(path.join(root, 'dist/bench/ort/block-graph.js'))});
const H = 9, W = 11, CIN = 3, C = 8, COUT = 2, CI = 4;
let seed = 1;
const rand = (n, scale = 0.5) => Float32Array.from({ length: n }, () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return (seed / 2 ** 31 - 1) * scale; });
const convModel = (inC, outC, w, b) => {
  const g = new GraphBuilder();
  const x = g.input('x', [1, inC, H, W]);
  const y = g.node('Conv', [x, g.weight('w', [outC, inC, 1, 1], w), g.weight('b', [outC], b)], 'y', { kernel_shape: { ints: [1, 1] } });
  g.output(y, [1, outC, H, W]);
  return g.toModel('conv');
};
const conv = (x, inC, outC, w, b) => {
  const n = H * W, out = new Float32Array(outC * n);
  for (let o = 0; o < outC; o++) for (let p = 0; p < n; p++) { let s = b[o]; for (let i = 0; i < inC; i++) s += w[o * inC + i] * x[i * n + p]; out[o * n + p] = s; }
  return out;
};
const convW = (o, i) => ({ weight: rand(o * i), bias: rand(o) });
const weights = { convention: 'mmcv', inChannels: C, interChannels: CI, dims: 2, theta: convW(CI, C), phi: convW(CI, C), g: convW(CI, C),
  out: { weight: rand(C * CI), bias: null }, bn: { weight: rand(C).map((v) => 1 + v), bias: rand(C), runningMean: rand(C), runningVar: rand(C).map((v) => 1.2 + v), eps: 1e-5 },
  concatProject: null, defaults: { mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false } };
(async () => {
  const w1 = rand(C * CIN), b1 = rand(C), w2 = rand(COUT * C), b2 = rand(COUT), input = rand(CIN * H * W, 2);
  const first = await ort.InferenceSession.create(convModel(CIN, C, w1, b1));
  const second = await ort.InferenceSession.create(convModel(C, COUT, w2, b2));
  const x = (await first.run({ x: new ort.Tensor('float32', input, [1, CIN, H, W]) })).y;
  const z = lib.nonLocalBlock(x, weights);                       // the ORT Tensor as it is
  const zTensor = new ort.Tensor('float32', z.data, z.shape);
  const noCopy = zTensor.data === z.data;
  const out = (await second.run({ x: zTensor })).y.data;
  const want = conv(lib.reference.nonLocalBlock({ data: conv(input, CIN, C, w1, b1), shape: [1, C, H, W] }, weights).data, C, COUT, w2, b2);
  let pipelineErr = 0; for (let i = 0; i < want.length; i++) pipelineErr = Math.max(pipelineErr, Math.abs(out[i] - want[i]));
  const built = blockGraph({ id: 'test', B: 1, C, Ci: CI, H, W, subSample: true }, weights);
  const session = await ort.InferenceSession.create(built.model);
  const xs = rand(C * H * W, 2);
  const ortZ = (await session.run({ x: new ort.Tensor('float32', xs, [1, C, H, W]) }))[built.output].data;
  const ours = lib.nonLocalBlock({ data: xs, shape: [1, C, H, W] }, weights).data;
  let blockErr = 0; for (let i = 0; i < ours.length; i++) blockErr = Math.max(blockErr, Math.abs(ours[i] - ortZ[i]));
  let maxZ = 0; for (const v of ours) maxZ = Math.max(maxZ, Math.abs(v));
  process.stdout.write(JSON.stringify({ noCopy, pipelineErr, blockErr, maxZ, ortVersion: require('onnxruntime-node/package.json').version }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('ORT model → nonLocalBlock → ORT model without copies, and ORT running the same block, agree with ours to 1e-4', () => {
  const r = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root }).toString()) as { noCopy: boolean; pipelineErr: number; blockErr: number; maxZ: number; ortVersion: string };
  process.stderr.write(`ort pipeline (onnxruntime-node ${r.ortVersion}): pipeline max abs err ${r.pipelineErr.toExponential(2)}, block vs ORT graph ${r.blockErr.toExponential(2)} (|z| up to ${r.maxZ.toFixed(2)})\n`);
  expect(r.noCopy).toBe(true);
  expect(r.pipelineErr).toBeLessThan(1e-4);
  expect(r.blockErr).toBeLessThan(1e-4);
  expect(r.maxZ).toBeGreaterThan(0.1);
});
