/** The package-level limit on async calls at once: a FIFO queue, abortable while waiting. */
import { attentionAsync, schedulerStats, setMaxConcurrentCalls } from '../../lib/index';
import { randomFloats } from '../support/oracle';

const tensor = (shape: number[], seed: number) => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });

afterEach(() => setMaxConcurrentCalls(undefined));

test('a burst runs at most `limit` calls at once', async () => {
  setMaxConcurrentCalls(2);
  const q = tensor([1500, 64], 1);
  const seen: number[] = [];
  const calls = Array.from({ length: 6 }, () => attentionAsync(q, q, q, { threads: 1 }).then(() => seen.push(schedulerStats().running)));
  expect(schedulerStats()).toEqual({ running: 2, queued: 4, limit: 2 });
  await Promise.all(calls);
  expect(Math.max(...seen)).toBeLessThanOrEqual(2);
  expect(schedulerStats()).toEqual({ running: 0, queued: 0, limit: 2 });
});

test('with one slot, calls run one at a time in FIFO order', async () => {
  setMaxConcurrentCalls(1);
  const done: number[] = [];
  const calls = Array.from({ length: 5 }, (_, i) => {
    const q = tensor([200 + 300 * (4 - i), 32], i); // the earliest calls are the longest
    return attentionAsync(q, q, q).then(() => done.push(i));
  });
  expect(schedulerStats()).toEqual({ running: 1, queued: 4, limit: 1 });
  await Promise.all(calls);
  expect(done).toEqual([0, 1, 2, 3, 4]);
});

test('an abort while queued removes the call and rejects it at once', async () => {
  setMaxConcurrentCalls(1);
  const q = tensor([2000, 64], 2);
  const first = attentionAsync(q, q, q);
  const controller = new AbortController();
  const second = attentionAsync(q, q, q, { signal: controller.signal });
  expect(schedulerStats().queued).toBe(1);
  controller.abort();
  await expect(second).rejects.toEqual(expect.objectContaining({ name: 'AbortError' }));
  expect(schedulerStats().queued).toBe(0);
  await first;
});

test('the default limit is ⌊cores / default threads⌋, at least 1; bad limits are refused', () => {
  expect(schedulerStats().limit).toBeGreaterThanOrEqual(1);
  for (const n of [0, 1.5, -1, 2000, NaN, '2']) {
    expect(() => setMaxConcurrentCalls(n as number)).toThrow(/^maxConcurrentCalls must be an integer from 1 to 1024, got /);
  }
});
