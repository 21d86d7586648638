/**
 * `npm run demo`: the operator on generated data, no files needed — native (all cores) against the
 * pure-JS reference on the same input, with their agreement.
 */
import { attention, attentionAsync, info, reference } from '../lib/index';

function seeded(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
