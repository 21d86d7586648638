/**
 * Cancellation: an AbortSignal stops a running async call and rejects it with an AbortError; an
 * already-aborted signal rejects before any work; `out` is left untouched.
 */
import { attention, attentionAsync, nonLocalBlock, nonLocalBlockAsync, reference, schedulerStats } from '../../lib/index';
import { randomFloats } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

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

/**
 * Aborts a call once it holds a scheduler slot (so it is in the kernel, not queued), and returns
 * how it settled. A call that finished before the abort landed proves nothing about cancellation,
 * so the caller retries with a larger problem: the outcome never depends on the machine's speed.
 * (How fast an abort lands is measured by `npm run perf-report`, not asserted here.)
 */
async function abortOnceRunning(start: (signal: AbortSignal) => Promise<unknown>): Promise<'finished' | unknown> {
  const controller = new AbortController();
  let settled = false;
  const pending = start(controller.signal).then(() => 'finished' as const, (error: unknown) => error).finally(() => { settled = true; });
  while (schedulerStats().running === 0 && !settled) await new Promise((resolve) => setImmediate(resolve));
  controller.abort();
  return pending;
}

/** Runs `attempt(size)` for growing sizes until the abort lands before the call ends. */
async function withGrowingProblem(sizes: number[], attempt: (size: number) => Promise<'finished' | unknown>): Promise<unknown> {
  for (const size of sizes) {
    const outcome = await attempt(size);
    if (outcome !== 'finished') return outcome;
    process.stderr.write(`cancel: the call of size ${size} finished before the abort landed; retrying larger\n`);
  }
  throw new Error(`every call finished before its abort landed (sizes ${sizes.join(', ')})`);
}

test('aborting a running call rejects it with an AbortError and leaves out untouched; the next call is unaffected', async () => {
  // N = M = 16384, d = 128 to start with: 275 GFLOP·(1/2), far longer than an abort takes to land.
  let out = new Float32Array(0);
  const outcome = await withGrowingProblem([16384, 32768, 65536], (n) => {
    const q = tensor([n, 128], 4);
    out = new Float32Array(n * 128).fill(7);
    return abortOnceRunning((signal) => attentionAsync(q, q, q, { signal, out, scale: 0.1 }));
  });
  expect(outcome).toEqual(expect.objectContaining({ name: 'AbortError', code: 'ABORT_ERR' }));
  expect(out.every((v) => v === 7)).toBe(true);
  expect(schedulerStats().running).toBe(0);
  const small = tensor([100, 16], 5);
  expect((await attentionAsync(small, small, small, { signal: new AbortController().signal })).data).toEqual(attention(small, small, small).data);
});

test('aborting a running block rejects it with an AbortError and leaves out untouched', async () => {
  const w = randomWeights({ C: 64, Ci: 32, mode: 'embedded_gaussian', bn: true, outBias: false, useScale: true, subSample: false, poolBeforeConv: false, seed: 6 });
  let out = new Float32Array(0);
  const outcome = await withGrowingProblem([4, 16, 64], (batch) => { // batch items of N = M = 4096
    const x = tensor([batch, 64, 64, 64], 7);
    out = new Float32Array(x.data.length).fill(7);
    return abortOnceRunning((signal) => nonLocalBlockAsync(x, w, { signal, threads: 1, out }));
  });
  expect(outcome).toEqual(expect.objectContaining({ name: 'AbortError' }));
  expect(out.every((v) => v === 7)).toBe(true);
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
