/**
 * attentionAsync runs on the libuv pool: the event loop keeps turning during a long call, the
 * inputs stay alive when the caller drops them, and concurrent calls each get their own result.
 */
import { attention, attentionAsync } from '../lib/attention';
import { randomFloats } from './support/oracle';

const tensor = (shape: number[], seed: number) => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });

test('a 1-second call leaves the event loop free: setInterval(1 ms) keeps firing', async () => {
  // N = M = 16384, d = 256: 4·N·M·d = 275 GFLOP, about a second on 2 AVX-512 cores.
  const q = tensor([16384, 256], 1);
  const k = tensor([16384, 256], 2);
  const v = tensor([16384, 256], 3);
  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 1);
  const start = performance.now();
  const y = await attentionAsync(q, k, v, { scale: 1 / 16 });
  const elapsed = performance.now() - start;
  clearInterval(timer);
  let worstGap = 0;
  for (let i = 1; i < ticks.length; i++) worstGap = Math.max(worstGap, ticks[i] - ticks[i - 1]);
  // Reported for the README; the assertions are deliberately loose (shared CI machines).
  process.stderr.write(`event-loop: call ${elapsed.toFixed(0)} ms, ${ticks.length} ticks of setInterval(1 ms), worst gap ${worstGap.toFixed(1)} ms\n`);
  expect(y.data.every(Number.isFinite)).toBe(true);
  expect(ticks.length).toBeGreaterThan(elapsed / 10);
  expect(worstGap).toBeLessThan(Math.max(100, elapsed / 4));
});

test('inputs dropped by the caller stay alive until the promise settles', async () => {
  const shapes = [[300, 64], [500, 64], [500, 32]];
  const want = attention(tensor(shapes[0], 4), tensor(shapes[1], 5), tensor(shapes[2], 6)).data;
  const pending = attentionAsync(tensor(shapes[0], 4), tensor(shapes[1], 5), tensor(shapes[2], 6));
  if (typeof global.gc === 'function') global.gc();
  expect((await pending).data).toEqual(want);
});

test('many overlapping calls with different shapes and thread counts each match the sync result', async () => {
  const calls = Array.from({ length: 24 }, (_, i) => {
    const N = 10 + 37 * i;
    const M = 700 - 23 * i;
    const d = 1 + (i % 9) * 8;
    return { q: tensor([N, d], 10 * i), k: tensor([M, d], 10 * i + 1), v: tensor([M, 5 + i], 10 * i + 2), threads: 1 + (i % 3) };
  });
  const results = await Promise.all(calls.map((c) => attentionAsync(c.q, c.k, c.v, { threads: c.threads })));
  results.forEach((r, i) => expect(r.data).toEqual(attention(calls[i].q, calls[i].k, calls[i].v, { threads: 1 }).data));
});

test('transferring an input\'s or out\'s ArrayBuffer away mid-call cannot crash or change the result', async () => {
  const make = () => ({ q: tensor([700, 64], 31), k: tensor([900, 64], 32), v: tensor([900, 48], 33) });
  const want = (() => {
    const { q, k, v } = make();
    return attention(q, k, v).data;
  })();
  const { q, k, v } = make();
  const out = new Float32Array(700 * 48);
  const pending = attentionAsync(q, k, v);
  for (const t of [q, k, v]) structuredClone(t.data.buffer, { transfer: [t.data.buffer as ArrayBuffer] }); // detached now
  expect((await pending).data).toEqual(want);

  const again = make();
  const withOut = attentionAsync(again.q, again.k, again.v, { out });
  structuredClone(out.buffer, { transfer: [out.buffer] });
  await expect(withOut).rejects.toThrow(/^options\.out was detached or resized while the call ran \(now 0 elements, needs 33600\)$/);
});
