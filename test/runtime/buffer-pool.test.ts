/**
 * The pool behind async calls' private copies: large buffers come back only after release, small
 * ones and detached ones are never kept, and async results stay exact while buffers are reused.
 */
import { attention, attentionAsync, nonLocalBlock, nonLocalBlockAsync } from '../../lib/index';
import { copyOf, pooledBufferStats, releaseBuffers, takeBuffer } from '../../lib/runtime/buffer-pool';
import { randomFloats } from '../support/oracle';
import { randomWeights } from '../support/random-weights';

const LARGE = 16 * 1024;

test('a released large buffer is handed out again; a copy holds the source values', () => {
  const a = takeBuffer(LARGE + 1);
  releaseBuffers(a);
  const before = pooledBufferStats();
  const source = randomFloats(LARGE + 1, 3);
  const b = copyOf(source);
  expect(b).toBe(a);
  expect(b).toEqual(source);
  expect(pooledBufferStats().buffers).toBe(before.buffers - 1);
  releaseBuffers(b, b); // the same buffer twice is kept once
  expect(pooledBufferStats().buffers).toBe(before.buffers);
});

test('small and detached buffers are never pooled', () => {
  const before = pooledBufferStats();
  releaseBuffers(new Float32Array(100), null);
  const detached = new Float32Array(LARGE + 5);
  structuredClone(detached.buffer, { transfer: [detached.buffer] });
  releaseBuffers(detached);
  expect(pooledBufferStats()).toEqual(before);
  expect(takeBuffer(LARGE + 5)).not.toBe(detached);
});

test('at most 32 buffers of one length are kept', () => {
  const length = LARGE + 7;
  const buffers = Array.from({ length: 40 }, () => takeBuffer(length));
  const before = pooledBufferStats();
  releaseBuffers(...buffers);
  expect(pooledBufferStats().buffers - before.buffers).toBe(32);
  expect(pooledBufferStats().bytes - before.bytes).toBe(32 * length * 4);
});

test('bursts of large async calls reuse pooled copies and still equal the sync results', async () => {
  const t = (shape: number[], seed: number) => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });
  const [q, k, v] = [t([600, 32], 1), t([700, 32], 2), t([700, 40], 3)];
  const want = attention(q, k, v).data;
  const w = randomWeights({ C: 32, Ci: 16, mode: 'embedded_gaussian', bn: true, outBias: true, useScale: true, subSample: true, poolBeforeConv: false, seed: 4 });
  const x = t([1, 32, 24, 24], 5);
  const wantBlock = nonLocalBlock(x, w).data;
  for (let burst = 0; burst < 3; burst++) {
    const out = new Float32Array(600 * 40);
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => attentionAsync(q, k, v)),
      attentionAsync(q, k, v, { out }),
      nonLocalBlockAsync(x, w),
      nonLocalBlockAsync(x, w, { out: new Float32Array(x.data.length) }),
    ]);
    results.slice(0, 5).forEach((r) => expect(r.data).toEqual(want));
    results.slice(5).forEach((r) => expect(r.data).toEqual(wantBlock));
  }
  expect(pooledBufferStats().buffers).toBeGreaterThan(0);
});
