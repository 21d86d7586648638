'use strict';
// A short run of every native entry point for valgrind memcheck (CI: .ci/run). Small sizes: under
// valgrind everything is ~50× slower. Exits non-zero if any result is wrong.
const L = require('../../dist/lib/index.js');
const { binding } = require('../../dist/lib/native/binding.js');
const { AFFINITIES } = require('../../dist/lib/core/tensor.js');
const r = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + s));
let failures = 0;
for (const isa of L.info().isas) {
  binding().selectIsa(isa);
  for (const affinity of AFFINITIES) {
    const q = { data: r(2 * 37 * 9, 1), shape: [2, 37, 9] };
    const k = { data: r(2 * 45 * 9, 2), shape: [2, 45, 9] };
    const v = { data: r(2 * 45 * 7, 3), shape: [2, 45, 7] };
    const options = { affinity, keyPaddingMask: Uint8Array.from({ length: 90 }, (_, j) => j % 4 !== 1), threads: 2,
      ...(affinity === 'concatenation' ? { concatWeights: { query: r(9, 4), key: r(9, 5) } } : { scale: 0.5 }) };
    const y = L.attention(q, k, v, options).data;
    const want = L.reference.attention(q, k, v, options).data;
    for (let i = 0; i < y.length; i++) if (!(Math.abs(y[i] - want[i]) <= 1e-4)) failures++;
  }
  const C = 6, Ci = 3;
  const conv = (o, i, s) => ({ weight: r(o * i, s), bias: r(o, s + 1) });
  for (const [mode, before] of [['embedded_gaussian', false], ['gaussian', true], ['concatenation', false], ['dot_product', true]]) {
    const w = { convention: 'mmcv', inChannels: C, interChannels: Ci, dims: null, theta: conv(Ci, C, 1), phi: conv(Ci, C, 2), g: conv(Ci, C, 3),
      out: conv(C, Ci, 4), bn: null, concatProject: r(2 * Ci, 5), defaults: { mode, useScale: true, subSample: true, poolBeforeConv: before } };
    const x = { data: r(2 * C * 5 * 7, 6), shape: [2, C, 5, 7] };
    const z = L.nonLocalBlock(x, w, { threads: 2 }).data;
    const want = L.reference.nonLocalBlock(x, w).data;
    for (let i = 0; i < z.length; i++) if (!(Math.abs(z[i] - want[i]) <= 1e-4)) failures++;
  }
}
Promise.all([
  L.attentionAsync({ data: r(40, 1), shape: [10, 4] }, { data: r(48, 2), shape: [12, 4] }, { data: r(24, 3), shape: [12, 2] }),
]).then(() => {
  console.log(`valgrind smoke: ${failures === 0 ? 'ok' : `${failures} wrong values`}`);
  process.exitCode = failures === 0 ? 0 : 1;
});
