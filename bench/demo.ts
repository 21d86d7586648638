/**
 * `npm run demo`: the operator on generated data, no files needed — native (all cores) against the
 * pure-JS reference on the same input, with their agreement.
 */
import { attention, attentionAsync, info, nonLocalBlock, reference, type NonLocalWeights } from '../lib/index';
import { seeded } from './seeded';


function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, performance.now() - start];
}

async function main(): Promise<void> {
  const N = 2048;
  const d = 64;
  const q = { data: seeded(N * d, 1), shape: [1, N, d] };
  const k = { data: seeded(N * d, 2), shape: [1, N, d] };
  const v = { data: seeded(N * d, 3), shape: [1, N, d] };
  const options = { scale: 1 / Math.sqrt(d) };
  const i = info();
  console.log(`nonlocal-affinity ${i.version}: kernel ${i.isa} (supported: ${i.isas.join(', ')}), OpenMP ${i.openmp ? 'on' : 'off'}, ${i.threads} threads`);
  console.log(`softmax attention, query/key/value [1, ${N}, ${d}] (${((4 * N * N * d) / 1e9).toFixed(2)} GFLOP per call)`);
  attention(q, k, v, options); // warm-up
  const [native, nativeMs] = time(() => attention(q, k, v, options));
  const [js, jsMs] = time(() => reference.attention(q, k, v, options));
  const asyncStart = performance.now();
  await attentionAsync(q, k, v, options);
  const asyncMs = performance.now() - asyncStart;
  let err = 0;
  let scale = 0;
  for (let x = 0; x < js.data.length; x++) {
    err = Math.max(err, Math.abs(native.data[x] - js.data[x]));
    scale = Math.max(scale, Math.abs(js.data[x]));
  }
  const gflops = (ms: number): string => ((4 * N * N * d) / 1e6 / ms).toFixed(1);
  console.log(`native:           ${nativeMs.toFixed(2)} ms  (${gflops(nativeMs)} GFLOP/s)`);
  console.log(`native, async:    ${asyncMs.toFixed(2)} ms`);
  console.log(`reference (JS):   ${jsMs.toFixed(2)} ms  (${gflops(jsMs)} GFLOP/s)`);
  console.log(`speed-up ${(jsMs / nativeMs).toFixed(0)}×, max |native − JS| / max |JS| = ${(err / scale).toExponential(2)}, output shape [${native.shape.join(', ')}]`);
  demoBlock();
}

/** An mmcv-style NonLocal2d (C = 256, C_inter = 128, BatchNorm, sub-sampled) on a 1×256×32×32 input. */
function demoBlock(): void {
  const C = 256;
  const Ci = 128;
  let seed = 20;
  const small = (n: number): Float32Array => seeded(n, (seed += 1)).map((v) => v * 0.05);
  const conv = (o: number, i: number) => ({ weight: small(o * i), bias: small(o) });
  const weights: NonLocalWeights = {
    convention: 'mmcv', inChannels: C, interChannels: Ci, dims: 2,
    theta: conv(Ci, C), phi: conv(Ci, C), g: conv(Ci, C), out: { weight: small(C * Ci), bias: null },
    bn: { weight: small(C).map((v) => 1 + v), bias: small(C), runningMean: small(C), runningVar: small(C).map((v) => 1 + v), eps: 1e-5 },
    concatProject: null,
    defaults: { mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false },
  };
  const x = { data: seeded(C * 32 * 32, 9), shape: [1, C, 32, 32] };
  nonLocalBlock(x, weights); // warm-up
  const [z, nativeMs] = time(() => nonLocalBlock(x, weights));
  const [zr, jsMs] = time(() => reference.nonLocalBlock(x, weights));
  let err = 0;
  for (let i = 0; i < z.data.length; i++) err = Math.max(err, Math.abs(z.data[i] - zr.data[i]));
  console.log(`\nnon-local block (mmcv NonLocal2d, C=${C}, C_inter=${Ci}, sub-sampled, BN) on x [1, ${C}, 32, 32]:`);
  console.log(`native:           ${nativeMs.toFixed(2)} ms`);
  console.log(`reference (JS):   ${jsMs.toFixed(2)} ms  → speed-up ${(jsMs / nativeMs).toFixed(0)}×, max |native − JS| = ${err.toExponential(2)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
