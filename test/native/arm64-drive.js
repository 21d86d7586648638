'use strict';
// Every native entry point on the arm64 build, for CI's run of the arm64 Node under qemu (.ci/run,
// tools/arm64/): jest and ts-jest under emulation would take most of CI's time, so this plain
// script (on the compiled dist/) covers what the native suites do, on every kernel the addon has
// (neon and scalar), and exits non-zero on the first class of failure, printing each.
//   - attention: every affinity; rank 2, 3 (with a key mask) and 4 (heads); causal masks, biases and
//     grouped-query heads; `out`; shapes that
//     leave tails everywhere (N, M, dk, dv not multiples of any tile; dk ≠ dv; one key; one query);
//     against reference.attention within 2e-5 of max |y|, as the jest suites do;
//   - the block: every PyTorch fixture (test/fixtures/block) against PyTorch's z within 1e-4;
//   - attentionAsync and nonLocalBlockAsync, an AbortSignal already aborted and one aborted while
//     the call runs;
//   - exp within 2 ulp on [ln FLT_MIN, 0] and (0, 80], the softmax's exp within 2 ulp on
//     [ln FLT_MIN, 0], and their special values (as exp.test.ts);
//   - the native layer's own checks: hostile calls straight into the addon get TypeError/RangeError;
//   - info(): isa 'neon' by default, isas ['scalar', 'neon'], and NONLOCAL_AFFINITY_ISA honoured.
const fs = require('node:fs');
const path = require('node:path');

const L = require('../../dist/lib/index.js');
const { attentionSizes, binding } = require('../../dist/lib/native/binding.js');
const { AFFINITIES } = require('../../dist/lib/core/tensor.js');
const { seededFloats } = require('../../dist/lib/core/seeded-random.js');

let failures = 0;
let checks = 0;
function expect(ok, what) {
  checks++;
  if (!ok) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}
const r = (n, s) => seededFloats(n, s); // uniform in [-1, 1), as the jest suites' inputs

function relativeError(got, want) {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) worst = d; // NaN counts as worst
  }
  return worst / Math.max(scale, 1e-30);
}

// [label, query shape, key shape, value shape, options]
function operatorCases(affinity) {
  const extra = (dk) => (affinity === 'concatenation' ? { concatWeights: { query: r(dk, 4), key: r(dk, 5) } } : { scale: 0.35 });
  return [
    ['rank 2, tails', [37, 13], [53, 13], [53, 7], extra(13)],
    ['rank 2, one key', [5, 3], [1, 3], [1, 9], extra(3)],
    ['rank 2, one query', [1, 20], [70, 20], [70, 20], extra(20)],
    ['rank 3, masked', [2, 33, 9], [2, 45, 9], [2, 45, 17], { ...extra(9), keyPaddingMask: Uint8Array.from({ length: 90 }, (_, j) => j % 4 !== 1) }],
    ['rank 3, heads split the last axis', [2, 19, 24], [2, 29, 24], [2, 29, 12], { ...extra(8), heads: 3 }],
    ['rank 4', [1, 2, 130, 64], [1, 2, 257, 64], [1, 2, 257, 64], extra(64)],
    ['rank 2, wide', [70, 150], [90, 150], [90, 130], extra(150)],
    ['rank 4, causal upper-left, grouped heads', [2, 4, 37, 16], [2, 2, 53, 16], [2, 2, 53, 9], { ...extra(16), causal: true }],
    ['rank 3, causal lower-right, kvHeads, mask', [2, 45, 24], [2, 29, 8], [2, 29, 6], { ...extra(8), heads: 3, kvHeads: 1, causal: 'lower-right', keyPaddingMask: Uint8Array.from({ length: 58 }, (_, j) => j % 5 !== 2) }],
    ...(affinity === 'embedded_gaussian' || affinity === 'gaussian'
      ? [
          ['rank 4, bias [1, H, N, M] with -inf, causal', [2, 3, 41, 12], [2, 3, 67, 12], [2, 3, 67, 10], { ...extra(12), causal: 'lower-right', attentionBias: { data: r(3 * 41 * 67, 6).map((x, i) => (i % 9 === 0 ? -Infinity : 3 * x)), shape: [1, 3, 41, 67] } }],
          ['rank 2, bias [N, M], mask', [30, 8], [70, 8], [70, 8], { ...extra(8), attentionBias: { data: r(30 * 70, 7), shape: [30, 70] }, keyPaddingMask: Uint8Array.from({ length: 70 }, (_, j) => j % 3 !== 0) }],
        ]
      : []),
  ];
}

function checkOperator(isa) {
  for (const affinity of AFFINITIES) {
    for (const [label, qs, ks, vs, extra] of operatorCases(affinity)) {
      const n = (s) => s.reduce((a, b) => a * b, 1);
      const q = { data: r(n(qs), 1), shape: qs };
      const k = { data: r(n(ks), 2), shape: ks };
      const v = { data: r(n(vs), 3), shape: vs };
      const options = { affinity, threads: 2, ...extra };
      const want = L.reference.attention(q, k, v, options).data;
      const y = L.attention(q, k, v, options);
      expect(relativeError(y.data, want) <= 2e-5, `${isa} attention ${affinity} ${label}: error ${relativeError(y.data, want)}`);
      const out = new Float32Array(want.length);
      const y2 = L.attention(q, k, v, { ...options, out, threads: 1 });
      expect(y2.data === out, `${isa} attention ${affinity} ${label}: the result is options.out`);
      // bitwise the same for every thread count
      expect(Buffer.compare(Buffer.from(out.buffer), Buffer.from(y.data.buffer)) === 0, `${isa} attention ${affinity} ${label}: 1 and 2 threads agree bit for bit`);
    }
  }
}

async function checkBlockFixtures(isa) {
  const root = path.join(__dirname, '..', 'fixtures', 'block');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8'));
  for (const f of manifest.fixtures) {
    const dir = path.join(root, f.name);
    const weights = await L.loadNonLocalWeights(path.join(dir, 'weights.safetensors'), f.prefix ? { prefix: f.prefix } : {});
    const x = L.readNpy(path.join(dir, 'x.npy'));
    const zWant = L.readNpy(path.join(dir, 'z.npy')).data;
    const z = L.nonLocalBlock(x, weights, { mode: f.mode, useScale: f.use_scale, threads: 2 }).data;
    let worst = 0;
    for (let i = 0; i < z.length; i++) {
      const d = Math.abs(z[i] - zWant[i]);
      if (!(d <= worst)) worst = d;
    }
    expect(worst <= 1e-4, `${isa} block fixture ${f.name}: max abs error ${worst} (limit 1e-4)`);
  }
  return manifest.fixtures.length;
}

async function checkAsync(isa) {
  const q = { data: r(40, 1), shape: [10, 4] };
  const k = { data: r(48, 2), shape: [12, 4] };
  const v = { data: r(24, 3), shape: [12, 2] };
  const y = await L.attentionAsync(q, k, v, { scale: 0.5 });
  expect(relativeError(y.data, L.reference.attention(q, k, v, { scale: 0.5 }).data) <= 2e-5, `${isa} attentionAsync agrees with the reference`);
  const aborted = AbortSignal.abort();
  const early = await L.attentionAsync(q, k, v, { signal: aborted }).then(() => null, (e) => e);
  expect(early !== null && early.name === 'AbortError', `${isa} attentionAsync with an aborted signal rejects with AbortError (got ${early && early.name})`);
  // Aborted while it runs: a call large enough to take a while even on real hardware.
  const big = (n, d, s) => ({ data: r(n * d, s), shape: [n, d] });
  const controller = new AbortController();
  const out = new Float32Array(4096 * 64).fill(7);
  const running = L.attentionAsync(big(4096, 64, 1), big(4096, 64, 2), big(4096, 64, 3), { signal: controller.signal, out });
  setImmediate(() => controller.abort());
  const late = await running.then(() => 'finished', (e) => e);
  expect(late === 'finished' || late.name === 'AbortError', `${isa} attentionAsync aborted while running: AbortError or finished (got ${late && late.name})`);
  if (late !== 'finished') expect(out.every((x) => x === 7), `${isa} a cancelled call leaves out untouched`);
  const C = 6, Ci = 3;
  const conv = (o, i, s) => ({ weight: r(o * i, s), bias: r(o, s + 1) });
  const w = { convention: 'mmcv', inChannels: C, interChannels: Ci, dims: null, theta: conv(Ci, C, 1), phi: conv(Ci, C, 2), g: conv(Ci, C, 3),
    out: conv(C, Ci, 4), bn: null, concatProject: null, defaults: { mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false } };
  const x = { data: r(2 * C * 5 * 7, 6), shape: [2, C, 5, 7] };
  const z = await L.nonLocalBlockAsync(x, w);
  const want = L.reference.nonLocalBlock(x, w).data;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(z.data[i] - want[i]));
  expect(worst <= 1e-4, `${isa} nonLocalBlockAsync agrees with the reference (max abs ${worst})`);
}

function ulps(a, b) {
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  return Math.abs(bits[0] - bits[1]);
}

function checkExp(isa) {
  const exp = (xs) => binding().expForTesting(xs, new Float32Array(xs.length));
  const negative = Float32Array.from({ length: 200001 }, (_, i) => -87.33 + (87.33 * i) / 200000);
  const positive = Float32Array.from({ length: 8001 }, (_, i) => 0.01 + (80 * i) / 8000);
  let worst = 0;
  for (const set of [negative, positive]) {
    const got = exp(set);
    for (let i = 0; i < set.length; i++) worst = Math.max(worst, ulps(got[i], Math.fround(Math.exp(set[i]))));
  }
  console.log(`arm64 drive: exp(${isa}) worst error ${worst} ulp`);
  expect(worst <= 2, `${isa} exp within 2 ulp (worst ${worst})`);
  const special = exp(new Float32Array([0, -Infinity, -87.5, -100, -1e30, NaN, -0, 1]));
  expect(special[0] === 1 && special[1] === 0 && special[2] === 0 && special[3] === 0 && special[4] === 0 && Number.isNaN(special[5]) && special[6] === 1,
    `${isa} exp special values: ${Array.from(special).join(', ')}`);
  for (let n = 1; n <= 9; n++) expect(exp(new Float32Array(n).fill(-1)).every((y) => ulps(y, Math.fround(Math.exp(-1))) <= 1), `${isa} exp tail of ${n}`);
  // The softmax's own exp (x ≤ 0 only), as exp.test.ts.
  const softmaxExp = (xs) => binding().expForTesting(xs, new Float32Array(xs.length), true);
  const fine = Float32Array.from({ length: (1 << 20) + 1 }, (_, i) => -i / (1 << 20));
  let softWorst = 0;
  for (const set of [negative, fine]) {
    const got = softmaxExp(set);
    for (let i = 0; i < set.length; i++) softWorst = Math.max(softWorst, ulps(got[i], Math.fround(Math.exp(set[i]))));
  }
  console.log(`arm64 drive: softmax exp(${isa}) worst error ${softWorst} ulp`);
  expect(softWorst <= 2, `${isa} softmax exp within 2 ulp (worst ${softWorst})`);
  const softSpecial = softmaxExp(new Float32Array([0, -Infinity, -87.5, -100, -1e30, NaN, -0]));
  expect(softSpecial[0] === 1 && softSpecial[1] === 0 && softSpecial[2] === 0 && softSpecial[3] === 0 && softSpecial[4] === 0 && Number.isNaN(softSpecial[5]) && softSpecial[6] === 1,
    `${isa} softmax exp special values: ${Array.from(softSpecial).join(', ')}`);
  for (let n = 1; n <= 9; n++) expect(softmaxExp(new Float32Array(n).fill(-0.5)).every((y) => ulps(y, Math.fround(Math.exp(-0.5))) <= 2), `${isa} softmax exp tail of ${n}`);
}

function checkHostileCalls() {
  const f = (n) => new Float32Array(n).fill(0.5);
  const sizes = { layout: 0, batch: 1, heads: 1, queries: 4, keys: 5, keyWidth: 3, valueWidth: 2, affinity: 0, threads: 1, scale: 1, kvHeads: 1, causal: 0, biasBatch: 0, biasHeads: 1 };
  const descriptor = (over = {}) => ({ sizes: attentionSizes({ ...sizes, ...over }), mask: null, concatQuery: null, concatKey: null, bias: null });
  const cases = [
    ['too few arguments', [f(12), f(15), f(10), f(8)], 'TypeError', /takes 5 arguments/],
    ['query a Float64Array', [new Float64Array(12), f(15), f(10), f(8), descriptor()], 'TypeError', /^query must be a Float32Array$/],
    ['query shorter than its shape', [f(11), f(15), f(10), f(8), descriptor()], 'RangeError', /^query has 11 elements/],
    ['queries zero', [f(12), f(15), f(10), f(8), descriptor({ queries: 0 })], 'RangeError', /^descriptor\.queries must be an integer/],
    ['sizes missing', [f(12), f(15), f(10), f(8), { ...descriptor(), sizes: undefined }], 'TypeError', /^descriptor\.sizes must be a Float64Array/],
    ['mask too short', [f(12), f(15), f(10), f(8), { ...descriptor(), mask: new Uint8Array(4) }], 'RangeError', /^keyPaddingMask has 4 elements/],
  ];
  for (const [label, args, name, message] of cases) {
    let caught = null;
    try {
      binding().attention(...args);
    } catch (e) {
      caught = e;
    }
    expect(caught !== null && caught.name === name && message.test(caught.message), `native layer, ${label}: ${name} ${message} (got ${caught && `${caught.name}: ${caught.message}`})`);
  }
}

async function main() {
  const started = Date.now();
  const info = L.info();
  console.log(`arm64 drive: ${process.arch}, node ${process.version}, ${JSON.stringify(info)}`);
  expect(process.arch === 'arm64', `runs on arm64 (process.arch ${process.arch})`);
  const forced = process.env.NONLOCAL_AFFINITY_ISA;
  expect(JSON.stringify(info.isas) === JSON.stringify(['scalar', 'neon']), `info().isas is ['scalar', 'neon'] (got ${JSON.stringify(info.isas)})`);
  expect(info.isa === (forced === 'scalar' ? 'scalar' : 'neon'), `info().isa is ${forced === 'scalar' ? 'scalar' : 'neon'} (got ${info.isa})`);
  let fixtures = 0;
  for (const isa of info.isas) {
    binding().selectIsa(isa);
    checkOperator(isa);
    checkExp(isa);
    fixtures = await checkBlockFixtures(isa);
    await checkAsync(isa);
  }
  binding().selectIsa(info.isa);
  checkHostileCalls();
  console.log(`arm64 drive: ${checks} checks (${fixtures} block fixtures per kernel), ${failures} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
