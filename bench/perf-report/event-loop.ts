/**
 * event loop: does a long attentionAsync call leave the event loop free? A setInterval(1 ms)
 * timer runs during one call of about a second (q/k/v [16384, 256], scale 1/16); the figure is the
 * worst gap between two consecutive ticks. Goal ≤ 20 ms.
 */
import { attentionAsync } from '../../lib/index';
import { figure, num, type Goal, type Row } from './goal';
import type { Section } from './section';
import { seededTensor } from './stats';

const ID = 'event-loop';
const N = 16384;
const D = 256;
const GOAL: Goal = { op: '≤', limit: 20, unit: 'ms' };

async function run(): Promise<Row[]> {
  const q = seededTensor([N, D], 1);
  const k = seededTensor([N, D], 2);
  const v = seededTensor([N, D], 3);
  // A small call first: loads the addon and starts the kernel's threads, outside the measurement.
  const small = seededTensor([64, D], 4);
  await attentionAsync(small, small, small);

  const ticks: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), 1);
  const start = performance.now();
  let callMs: number;
  try {
    const y = await attentionAsync(q, k, v, { scale: 1 / 16 });
    callMs = performance.now() - start;
    if (!y.data.every(Number.isFinite)) throw new Error('the call returned a non-finite value');
  } finally {
    clearInterval(timer);
  }
  let worst = 0;
  for (let i = 1; i < ticks.length; i++) worst = Math.max(worst, ticks[i] - ticks[i - 1]);
  if (ticks.length < 2) worst = callMs; // no two ticks: the loop was blocked the whole call
  const text = `worst gap ${num(worst)} ms between ${ticks.length} ticks of setInterval(1 ms) during a ${callMs.toFixed(0)} ms attentionAsync call (N = M = ${N}, d = ${D})`;
  return [figure(ID, text, worst, 'ms', GOAL, true, { worstGapMs: worst, ticks: ticks.length, callMs, n: N, m: N, d: D })];
}

export const eventLoop: Section = { id: ID, title: 'event loop', run };
