/**
 * One contender on one shape, in its own process (so JIT and GC state of one contender never
 * colours another's numbers): builds seeded inputs, runs once to take a probe of the output, then
 * times the call with tinybench and prints one JSON line.
 *
 *   node dist/bench/contender.js '{"contender":"native","threads":2,"shape":{...},"timeMs":2000}'
 */
import * as lib from '../lib/index';
import { naiveAttention } from './naive';
import { seeded } from './seeded';
import type { NonLocalWeights } from '../lib/block/weights';
import type { BlockShape, OperatorShape } from './shapes';

export type ContenderName = 'native' | 'reference' | 'naive';

export interface ContenderSpec {
  contender: ContenderName;
  threads: number;
  /** an attention call, or (with `block`) a whole non-local block */
  shape?: OperatorShape;
  block?: BlockShape;
  timeMs: number;
  minSamples: number;
  /** warm-up calls before timing */
  warmup: number;
}

export interface ContenderResult {
  medianMs: number;
  samples: number;
  /** Output rows 0, N/2 and N−1: compared across contenders before any number is reported. */
  probe: number[];
  isa: string;
}


/** A random mmcv-style embedded-Gaussian block with BatchNorm (no bias on the output conv). */
function blockWeights(s: BlockShape): NonLocalWeights {
  let seed = 10;
  const r = (n: number, lo = -0.05, hi = 0.05): Float32Array => {
    const a = seeded(n, (seed += 1));
    for (let i = 0; i < n; i++) a[i] = lo + ((a[i] + 1) / 2) * (hi - lo);
    return a;
  };
  const conv = (o: number, i: number, bias: boolean) => ({ weight: r(o * i), bias: bias ? r(o) : null });
  return {
    convention: 'mmcv', inChannels: s.C, interChannels: s.Ci, dims: 2,
    theta: conv(s.Ci, s.C, true), phi: conv(s.Ci, s.C, true), g: conv(s.Ci, s.C, true), out: conv(s.C, s.Ci, false),
    bn: { weight: r(s.C, 0.5, 1.5), bias: r(s.C), runningMean: r(s.C), runningVar: r(s.C, 0.5, 2), eps: 1e-5 },
    concatProject: null,
    defaults: { mode: 'embedded_gaussian', useScale: true, subSample: s.subSample, poolBeforeConv: false },
  };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as ContenderSpec;
  if (spec.block) return runBlock(spec, spec.block);
  await timeAndReport(spec, ...attentionRun(spec, spec.shape!));
}

function runBlock(spec: ContenderSpec, s: BlockShape): Promise<void> {
  const weights = blockWeights(s);
  const x = { data: seeded(s.B * s.C * s.H * s.W, 4), shape: [s.B, s.C, s.H, s.W] };
  let run: () => Float32Array;
  if (spec.contender === 'native') run = () => lib.nonLocalBlock(x, weights, { threads: spec.threads }).data;
  else if (spec.contender === 'reference') run = () => lib.reference.nonLocalBlock(x, weights).data;
  else throw new Error(`no ${spec.contender} contender for the block`);
  const rows = s.H * s.W;
  return timeAndReport(spec, run, rows, 1); // probe: channel 0's first, middle and last positions
}

function attentionRun(spec: ContenderSpec, shape: OperatorShape): [() => Float32Array, number, number] {
  const { B, N, M, dk, dv } = shape;
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

  return [run, N, dv];
}

/** Runs once for the probe (rows 0, R/2 and R−1 of width `width`), then times with tinybench. */
async function timeAndReport(spec: ContenderSpec, run: () => Float32Array, rows: number, width: number): Promise<void> {
  const y = run();
  const probe = [0, rows >> 1, rows - 1].flatMap((i) => Array.from(y.subarray(i * width, (i + 1) * width)));

  const { Bench } = await import('tinybench');
  const bench = new Bench({ iterations: spec.minSamples, time: spec.timeMs, warmupIterations: spec.warmup, warmupTime: 0 });
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
