/** The benchmark's output: one row per contender × shape, as a markdown table or one JSON document. */
import type { Family } from './plan';
import type { ContenderName } from './spec';

export interface Row {
  shape: string;
  /** the row's label */
  contender: string;
  /** which contender (spec.ts) */
  kind: ContenderName;
  family: Family;
  threads: number;
  /** the addon's ISA, 'js', or 'onnxruntime 1.x' */
  engine: string | null;
  medianMs: number | null;
  gflops: number | null;
  /** GFLOP/s as a share of the measured FMA peak for this row's thread count */
  percentOfPeak: number | null;
  /** peak RSS of the contender's process, MB */
  maxRssMb: number | null;
  /** native rows: the faster ORT graph's median (same thread count) ÷ ours; > 1 means we are faster */
  ortOverOurs: number | null;
  /** speed-up over the naive JS loop (operator) or reference.nonLocalBlock (block) */
  speedupOverJs: number | null;
  samples: number;
  note?: string;
}

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  node: string;
  isa: string;
  openmp: boolean;
  onnxruntime: string | null;
  tfjs: string | null;
  /** the CPU the 1-thread contenders are pinned to (taskset), or null */
  pinnedCpu: number | null;
  /** native and ORT rounds, samples pooled */
  rounds: number;
}

export function machineLine(m: Machine): string {
  return `${m.date} · ${m.cpu} · ${m.cores} cores · Node ${m.node} · kernel ${m.isa}${m.openmp ? ' + OpenMP' : ''} · ${m.onnxruntime ? `onnxruntime-node ${m.onnxruntime} (CPU EP)` : 'onnxruntime-node not installed'}${m.tfjs ? ` · tfjs ${m.tfjs}` : ''}`;
}

const fmt = (x: number | null, digits: number): string => (x === null ? '—' : x.toFixed(digits));
const ms = (x: number): string => x.toFixed(x < 1 ? 3 : 1);

const range = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

export function markdown(m: Machine, peak: { all: number; one: number }, rows: Row[], casePeaks: { all: number; one: number }[] = []): string {
  return [
    machineLine(m),
    `Measured FP32 FMA peak of the ${m.isa} kernel: ${peak.all.toFixed(0)} GFLOP/s on ${m.cores} threads, ${peak.one.toFixed(0)} on 1 (measureFmaPeak({ isa: '${m.isa}' })) at the start` +
      (casePeaks.length === 0 ? '.' : `; measured again before each round of each shape: ${range(casePeaks.map((p) => p.all))} on ${m.cores} threads, ${range(casePeaks.map((p) => p.one))} on 1 (per-shape medians), and each row's % of peak is against its shape's median.`),
    'FLOPs: attention 2·B·H·N·M·(dk + dv) (causal: N(N + 1)/2 pairs in place of N·M — the work needed, not the work done); block 2·N·C·3Ci (θ|φ|g) + 4·N·M·Ci (attention) + 2·N·Ci·C (W_z).',
    'ORT ÷ ours: the faster ORT graph (operator) or the ORT block graph, same thread count, ÷ the native median (> 1: native is faster).',
    '× JS: speed-up over the naive JS loop (operator) or reference.nonLocalBlock (block). Peak RSS: the whole contender process.',
    `Medians of every sample; native and ORT ran in ${m.rounds} interleaved round${m.rounds === 1 ? '' : 's'}, each contender in its own process${m.pinnedCpu === null ? '' : `; 1-thread rows pinned to CPU ${m.pinnedCpu} (taskset)`}. Native gets a preallocated \`out\`, ORT preallocated output tensors.`,
    '',
    '| shape | contender | median ms | GFLOP/s | % of peak | peak RSS MB | ORT ÷ ours | × JS |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.shape} | ${r.contender} | ${r.note ?? (r.medianMs === null ? '—' : ms(r.medianMs))} | ${fmt(r.gflops, 1)} | ${r.percentOfPeak === null ? '—' : `${r.percentOfPeak.toFixed(0)}%`} | ${fmt(r.maxRssMb, 0)} | ${r.ortOverOurs === null ? '—' : `${r.ortOverOurs.toFixed(2)}×`} | ${r.speedupOverJs === null ? '—' : `${r.speedupOverJs.toFixed(1)}×`} |`,
    ),
  ].join('\n');
}
