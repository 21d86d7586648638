/**
 * Cancellation: an AbortSignal stops an async call within one key block and rejects it with an
 * AbortError; an already-aborted signal rejects before any work; `out` is left untouched.
 */
import { attention, attentionAsync, nonLocalBlock, nonLocalBlockAsync, reference } from '../lib/index';
import { randomFloats } from './support/oracle';
import { randomWeights } from './support/random-weights';

const tensor = (shape: number[], seed: number) => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });

test('an already-aborted signal rejects before any work, with the reason as cause', async () => {
  const q = tensor([64, 8], 1);
  const reason = new Error('user gave up');
  const controller = new AbortController();
  controller.abort(reason);
  const out = new Float32Array(64 * 8).fill(7);
  await expect(attentionAsync(q, q, q, { signal: controller.signal, out })).rejects.toEqual(expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR', cause: reason }));
  expect(out.every((v) => v === 7)).toBe(true);
  const w = randomWeights({ C: 4, Ci: 2, mode: 'embedded_gaussian', bn: false, outBias: true, useScale: true, subSample: false, poolBeforeConv: false, seed: 2 });
  await expect(nonLocalBlockAsync(tensor([1, 4, 5, 5], 3), w, { signal: controller.signal })).rejects.toEqual(expect.objectContaining({ name: 'AbortError' }));
});

test('aborting a long call rejects it promptly and leaves out untouched; the next call is unaffected', async () => {
  // N = M = 16384, d = 128: about 0.5 s on two AVX-512 cores; the kernel checks the flag before
  // every key block (64 queries × 128 keys), so even the scalar kernel stops within a millisecond.
  const q = tensor([16384, 128], 4);
  const out = new Float32Array(16384 * 128).fill(7);
  const controller = new AbortController();
  const started = performance.now();
  const pending = attentionAsync(q, q, q, { signal: controller.signal, out, scale: 0.1 });
  await new Promise((resolve) => setTimeout(resolve, 40));
  const abortedAt = performance.now();
  controller.abort();
  await expect(pending).rejects.toEqual(expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR' }));
  const latency = performance.now() - abortedAt;
  process.stderr.write(`cancel: rejected ${latency.toFixed(1)} ms after abort (call started ${(abortedAt - started).toFixed(0)} ms before the abort)\n`);
  expect(latency).toBeLessThan(100);
  expect(out.every((v) => v === 7)).toBe(true);
  const small = tensor([100, 16], 5);
  expect((await attentionAsync(small, small, small, { signal: new AbortController().signal })).data).toEqual(attention(small, small, small).data);
});

test('aborting a block mid-call rejects with an AbortError', async () => {
  const w = randomWeights({ C: 64, Ci: 32, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: false, poolBeforeConv: false, seed: 6 });
  const x = tensor([4, 64, 64, 64], 7); // 4 batch items of N = M = 4096
  const controller = new AbortController();
  const pending = nonLocalBlockAsync(x, w, { signal: controller.signal, threads: 1 });
  setTimeout(() => controller.abort(), 20);
  await expect(pending).rejects.toEqual(expect.objectContaining({ name: 'AbortError' }));
});

test('signal is rejected by the synchronous functions and must be an AbortSignal', async () => {
  const q = tensor([8, 4], 8);
  const signal = new AbortController().signal;
  expect(() => attention(q, q, q, { signal })).toThrow(/^options\.signal applies to attentionAsync only/);
  expect(() => reference.attention(q, q, q, { signal })).toThrow(/^options\.signal applies to attentionAsync only/);
  const w = randomWeights({ C: 4, Ci: 2, mode: 'gaussian', bn: false, outBias: true, useScale: true, subSample: false, poolBeforeConv: false, seed: 9 });
  expect(() => nonLocalBlock(tensor([1, 4, 3, 3], 10), w, { signal })).toThrow(/^options\.signal applies to nonLocalBlockAsync only/);
  await expect(attentionAsync(q, q, q, { signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(/^options\.signal must be an AbortSignal, got string "stop"$/);
});
