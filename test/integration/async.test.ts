/**
 * attentionAsync runs on the libuv pool: the event loop keeps turning during a long call, the
 * inputs stay alive when the caller drops them, and concurrent calls each get their own result.
 */
import { attention, attentionAsync } from '../../lib/attention/attention';
import { randomFloats } from '../support/oracle';

const tensor = (shape: number[], seed: number) => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape });

test('the event loop keeps turning while a call runs: timers fire before its promise settles', async () => {
  // A call that ran on the main thread would settle (as a microtask) before any timer could fire.
  // Whether timers fire at all while it is pending is the behaviour; how often, and the worst gap,
  // are machine figures that `npm run perf-report` prints. N = M = 4096, d = 64 (4.3 GFLOP) lasts
  // many timer turns on any CPU; should one ever finish within a turn, the check is repeated at a
  // larger N, so the outcome does not depend on the machine's speed.
  let firedWhilePending = false;
  for (const n of [4096, 8192, 16384]) {
    const q = tensor([n, 64], 1);
    const k = tensor([n, 64], 2);
    const v = tensor([n, 64], 3);
    let settled = false;
    const timer = setInterval(() => { if (!settled) firedWhilePending = true; }, 0);
    try {
      const y = await attentionAsync(q, k, v, { scale: 1 / 8 }).finally(() => { settled = true; });
      if (n === 4096) expect(y.data).toEqual(attention(q, k, v, { scale: 1 / 8 }).data);
    } finally {
      clearInterval(timer);
    }
    if (firedWhilePending) break;
  }
  expect(firedWhilePending).toBe(true);
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
