/**
 * One contender on one shape, in its own process (so JIT and GC state of one contender never
 * colours another's numbers): builds seeded inputs, runs once to take a probe of the output, then
 * times the call with tinybench and prints one JSON line.
 *
 *   node dist/bench/contender.js '{"contender":"native","threads":2,"shape":{...},"timeMs":2000}'
 */
import * as lib from '../lib/index';
import { naiveAttention } from './naive';
import type { OperatorShape } from './shapes';

export type ContenderName = 'native' | 'reference' | 'naive';

export interface ContenderSpec {
  contender: ContenderName;
  threads: number;
  shape: OperatorShape;
  timeMs: number;
  minSamples: number;
}

export interface ContenderResult {
  medianMs: number;
  samples: number;
  /** Output rows 0, N/2 and N−1: compared across contenders before any number is reported. */
  probe: number[];
  isa: string;
}

function seeded(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as ContenderSpec;
  const { B, N, M, dk, dv } = spec.shape;
  const scale = 1 / Math.sqrt(dk);
  const q = { data: seeded(B * N * dk, 1), shape: [B, N, dk] };
  const k = { data: seeded(B * M * dk, 2), shape: [B, M, dk] };
  const v = { data: seeded(B * M * dv, 3), shape: [B, M, dv] };
  const out = new Float32Array(B * N * dv);

  let run: () => Float32Array;
  if (spec.contender === 'native') run = () => lib.attention(q, k, v, { scale, threads: spec.threads, out }).data;
  else if (spec.contender === 'reference') run = () => lib.reference.attention(q, k, v, { scale, out }).data;
  else if (B === 1) run = () => naiveAttention(q.data, k.data, v.data, N, M, dk, dv, scale);
  else throw new Error('the naive loop is single-batch');

  const y = run();
  const probe = [0, N >> 1, N - 1].flatMap((i) => Array.from(y.subarray(i * dv, (i + 1) * dv)));

  const { Bench } = await import('tinybench');
  const bench = new Bench({ iterations: spec.minSamples, time: spec.timeMs, warmupIterations: 1, warmupTime: 0 });
  bench.add(spec.contender, run);
  bench.runSync();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`tinybench task ended in state ${result.state}`);
  const isa = spec.contender === 'native' ? lib.info().isa : 'js';
  const line: ContenderResult = { medianMs: result.latency.p50, samples: result.latency.samplesCount, probe, isa };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
