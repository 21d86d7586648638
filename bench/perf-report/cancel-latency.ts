/**
 * cancel latency: how soon an aborted attentionAsync call rejects. A call at N = M = 16384,
 * d = 128 with an AbortSignal and a preallocated `out` filled with 7 is aborted 40 ms after it
 * starts; the latency is the time from controller.abort() to the rejection with an AbortError.
 * Three runs: the median and the worst. Goal: the worst ≤ 10 ms (the kernel checks the flag before
 * every key block), and `out` still all 7 after every run.
 */
import { attentionAsync } from '../../lib/index';
import { figure, num, type Goal, type Row } from './goal';
import type { Section } from './section';
import { median, seededTensor, sleep } from './stats';

const ID = 'cancel-latency';
const D = 128;
const FIRST_N = 16384;
const LARGEST_N = 16384 * 8;
const ABORT_AFTER_MS = 40;
const RUNS = 3;
const GOAL: Goal = { op: '≤', limit: 10, unit: 'ms' };

type Outcome = { finished: true } | { finished: false; latencyMs: number; untouched: boolean };

/** One call aborted ABORT_AFTER_MS after it starts; `finished` if it completed before the abort. */
async function abortOnce(n: number, seed: number): Promise<Outcome> {
  const q = seededTensor([n, D], seed);
  const out = new Float32Array(n * D).fill(7);
  const controller = new AbortController();
  let settled = false;
  const pending = attentionAsync(q, q, q, { signal: controller.signal, out, scale: 0.1 });
  pending.then(() => { settled = true; }, () => { settled = true; });
  await sleep(ABORT_AFTER_MS);
  if (settled) {
    await pending; // a rejection other than by the abort is an error of the section
    return { finished: true };
  }
  const abortedAt = performance.now();
  controller.abort();
  try {
    await pending;
    return { finished: true }; // it completed between the check and the abort
  } catch (error) {
    const latencyMs = performance.now() - abortedAt;
    const e = error as { name?: string; code?: string };
    if (e.name !== 'AbortError' || e.code !== 'ABORT_ERR') throw error;
    return { finished: false, latencyMs, untouched: out.every((x) => x === 7) };
  }
}

async function run(): Promise<Row[]> {
  const small = seededTensor([64, D], 9);
  await attentionAsync(small, small, small); // loads the addon, starts the kernel's threads
  let n = FIRST_N;
  const latencies: number[] = [];
  let untouched = true;
  while (latencies.length < RUNS) {
    const o = await abortOnce(n, 4 + latencies.length);
    if (o.finished) {
      // A fast machine: the call was over before the abort. Start again with a longer call.
      if (n >= LARGEST_N) throw new Error(`the call at N = M = ${n} finished within ${ABORT_AFTER_MS} ms: nothing to abort`);
      n *= 2;
      latencies.length = 0;
      untouched = true;
      continue;
    }
    latencies.push(o.latencyMs);
    untouched &&= o.untouched;
  }
  const mid = median(latencies);
  const worst = Math.max(...latencies);
  const text = `median ${num(mid)} ms, worst ${num(worst)} ms from abort() to the AbortError (${RUNS} attentionAsync calls at N = M = ${n}, d = ${D}, aborted ${ABORT_AFTER_MS} ms in); out untouched: ${untouched ? 'yes' : 'no'}`;
  return [figure(ID, text, worst, 'ms', GOAL, untouched, { medianMs: mid, worstMs: worst, latenciesMs: latencies, outUntouched: untouched, n, m: n, d: D, abortAfterMs: ABORT_AFTER_MS })];
}

export const cancelLatency: Section = { id: ID, title: 'cancel latency', run };
