/**
 * concurrency: 8 overlapping attentionAsync calls of [1,4096,64]² against the same 8 calls one
 * after another (synchronous attention), in 5 interleaved rounds; the figure is the concurrent
 * throughput as a % of the sequential one, from the medians. Goal ≥ 90% (issue #5).
 */
import { attention, attentionAsync } from '../../lib/index';
import { figure, num, type Goal, type Row } from './goal';
import type { Section } from './section';
import { median, seededTensor } from './stats';

const ID = 'concurrency';
const CALLS = 8;
const N = 4096;
const D = 64;
const ROUNDS = 5;
const GOAL: Goal = { op: '≥', limit: 90, unit: '%' };

async function run(): Promise<Row[]> {
  const q = seededTensor([1, N, D], 1);
  const k = seededTensor([1, N, D], 2);
  const v = seededTensor([1, N, D], 3);
  attention(q, k, v); // warm-up: scratch memory, the OpenMP team
  await attentionAsync(q, k, v); // and the async path's kernel thread
  const sequential: number[] = [];
  const concurrent: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    for (let i = 0; i < CALLS; i++) attention(q, k, v);
    sequential.push(performance.now() - t0);
    t0 = performance.now();
    await Promise.all(Array.from({ length: CALLS }, () => attentionAsync(q, k, v)));
    concurrent.push(performance.now() - t0);
  }
  const s = median(sequential);
  const c = median(concurrent);
  const percent = (100 * s) / c;
  const text = `${CALLS} overlapping attentionAsync calls of [1,${N},${D}]² in ${num(c)} ms, one after another ${num(s)} ms: concurrent throughput ${num(percent)}% of sequential (medians of ${ROUNDS} interleaved rounds)`;
  return [figure(ID, text, percent, '%', GOAL, true, { calls: CALLS, n: N, d: D, rounds: ROUNDS, sequentialMs: sequential, concurrentMs: concurrent, sequentialMedianMs: s, concurrentMedianMs: c })];
}

export const concurrency: Section = { id: ID, title: 'concurrency', run };
