/**
 * `npm run bench`: the operator benchmark. Every contender × shape runs in its own child process;
 * outputs are cross-checked before any time is reported; the table gives median ms, GFLOP/s
 * (FLOPs = 2·B·N·M·(dk+dv), i.e. 4·B·N·M·d) and the speed-up over the naive JS loop.
 *
 *   npm run bench                 markdown table on stdout
 *   npm run bench -- --json       one JSON document
 *   npm run bench -- --quick      the two smallest shapes only (a smoke run)
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { info, measureFmaPeak } from '../lib/info';
import type { ContenderName, ContenderResult, ContenderSpec } from './contender';
import { BLOCK_SHAPES, blockFlops, flops, OPERATOR_SHAPES, type BlockShape, type OperatorShape } from './shapes';

/** Skip a JS contender whose single call would take longer than this at ~1.3 GFLOP/s. */
const JS_SECONDS_LIMIT = 35;
const JS_GFLOPS_ESTIMATE = 1.3;

interface Row {
  shape: string;
  contender: string;
  threads: number;
  medianMs: number | null;
  gflops: number | null;
  /** GFLOP/s as a share of the measured FMA peak for this row's thread count */
  percentOfPeak: number | null;
  speedupOverNaive: number | null;
  samples: number;
  note?: string;
}

function runContender(contender: ContenderName, threads: number, shape: OperatorShape | BlockShape, estimatedSeconds: number): ContenderResult {
  const slow = contender !== 'native';
  const verySlow = slow && estimatedSeconds > 5; // multi-second JS calls: no warm-up, two samples
  const what = 'Ci' in shape ? { block: shape } : { shape };
  const spec: ContenderSpec = { contender, threads, ...what, timeMs: slow ? 1000 : 2000, minSamples: verySlow ? 2 : slow ? 3 : 7, warmup: verySlow ? 0 : 1 };
  const script = path.join(__dirname, 'contender.js');
  const stdout = execFileSync(process.execPath, [script, JSON.stringify(spec)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ContenderResult;
}

function agrees(a: number[], b: number[]): boolean {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return a.length === b.length && err <= 1e-4 * Math.max(scale, 1e-30);
}

function main(): void {
  const args = new Set(process.argv.slice(2));
  const json = args.has('--json');
  const shapes = args.has('--quick') ? OPERATOR_SHAPES.slice(0, 2) : OPERATOR_SHAPES;
  const cores = os.availableParallelism();
  const machine = {
    date: new Date().toISOString().slice(0, 10),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores,
    node: process.version,
    isa: info().isa,
    openmp: info().openmp,
  };
  const log = (s: string): void => {
    if (!json) process.stderr.write(`${s}\n`);
  };
  // The FMA peak, measured by the addon with all threads busy and with one (for the 1-thread rows).
  const peak = { all: measureFmaPeak({ threads: cores, seconds: 0.5 }), one: measureFmaPeak({ threads: 1, seconds: 0.5 }) };
  log(`# ${machine.date} · ${machine.cpu} · ${cores} cores · Node ${machine.node} · kernel ${machine.isa}${machine.openmp ? ' + OpenMP' : ''}`);

  const rows: Row[] = [];
  const cases: { shape: OperatorShape | BlockShape; gflop: number; contenders: [ContenderName, number, string][] }[] = [
    ...shapes.map((shape) => ({
      shape,
      gflop: flops(shape) / 1e9,
      contenders: [
        ['native', cores, `native, ${cores} threads`],
        ['native', 1, 'native, 1 thread'],
        ['reference', 1, 'reference.attention (JS)'],
        ['naive', 1, 'naive JS loop'],
      ] as [ContenderName, number, string][],
    })),
    ...(args.has('--quick') ? [] : BLOCK_SHAPES).map((shape) => ({
      shape,
      gflop: blockFlops(shape) / 1e9,
      contenders: [
        ['native', cores, `nonLocalBlock, ${cores} threads`],
        ['native', 1, 'nonLocalBlock, 1 thread'],
        ['reference', 1, 'reference.nonLocalBlock (JS)'],
      ] as [ContenderName, number, string][],
    })),
  ];
  for (const { shape, gflop, contenders } of cases) {
    const jsFits = gflop / JS_GFLOPS_ESTIMATE <= JS_SECONDS_LIMIT;
    const results: (ContenderResult | null)[] = [];
    for (const [name, threads, label] of contenders) {
      if (name !== 'native' && !jsFits) {
        results.push(null);
        rows.push({ shape: shape.id, contender: label, threads, medianMs: null, gflops: null, percentOfPeak: null, speedupOverNaive: null, samples: 0, note: `skipped: ~${Math.round(gflop / JS_GFLOPS_ESTIMATE)} s per call` });
        continue;
      }
      log(`${shape.id}: ${label} …`);
      const r = runContender(name, threads, shape, gflop / JS_GFLOPS_ESTIMATE);
      if (results[0] && !agrees(r.probe, results[0].probe)) throw new Error(`${label} disagrees with native on ${shape.id}: outputs differ by more than 1e-4 relative`);
      results.push(r);
      const gflops = gflop / (r.medianMs / 1e3);
      rows.push({ shape: shape.id, contender: label, threads, medianMs: r.medianMs, gflops, percentOfPeak: (100 * gflops) / (threads === 1 ? peak.one : peak.all), speedupOverNaive: null, samples: r.samples });
    }
    // The JS baseline: the naive loop for the operator, reference.nonLocalBlock for the block.
    const baseline = results[results.length - 1];
    for (const row of rows.slice(-contenders.length)) {
      if (baseline && row.medianMs !== null) row.speedupOverNaive = baseline.medianMs / row.medianMs;
    }
  }

  if (json) {
    process.stdout.write(`${JSON.stringify({ machine, fmaPeakGflops: peak, flops: { attention: '2·B·N·M·(dk+dv)', block: '2·N·C·3Ci + 4·N·M·Ci + 2·N·Ci·C' }, rows }, null, 2)}\n`);
    return;
  }
  const fmt = (x: number | null, digits: number): string => (x === null ? '—' : x.toFixed(digits));
  const lines = [
    `${machine.date} · ${machine.cpu} · ${cores} cores · Node ${machine.node} · kernel ${machine.isa}${machine.openmp ? ' + OpenMP' : ''}`,
    `Measured FP32 FMA peak: ${peak.all.toFixed(0)} GFLOP/s on ${cores} threads, ${peak.one.toFixed(0)} on 1 (measureFmaPeak()).`,
    'FLOPs: attention 4·B·N·M·d; block 2·N·C·3Ci (θ|φ|g) + 4·N·M·Ci (attention) + 2·N·Ci·C (W_z). × JS: speed-up over the naive JS loop (operator) or reference.nonLocalBlock (block).',
    '',
    '| shape | contender | median ms | GFLOP/s | % of peak | × JS |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.shape} | ${r.contender} | ${r.note ?? fmt(r.medianMs, r.medianMs !== null && r.medianMs < 1 ? 3 : 1)} | ${fmt(r.gflops, 1)} | ${r.percentOfPeak === null ? '—' : `${r.percentOfPeak.toFixed(0)}%`} | ${r.speedupOverNaive === null ? '—' : `${r.speedupOverNaive.toFixed(1)}×`} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const one = (id: string, label: string): Row | undefined => rows.find((r) => r.shape === id && r.contender.startsWith(label));
  const all4096 = one('[1,4096,64]²', 'native, ' + cores);
  const one4096 = one('[1,4096,64]²', 'native, 1 thread');
  if (all4096?.medianMs && one4096?.medianMs) log(`\n${cores} threads vs 1 thread at [1,4096,64]²: ${(one4096.medianMs / all4096.medianMs).toFixed(2)}×`);
}

main();
