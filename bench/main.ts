/**
 * `npm run bench`: the native operator and block against the peers a Node user would pick instead —
 * ONNX Runtime (two attention graphs, an mmcv NonLocal2d graph), TensorFlow.js (wasm and cpu
 * backends, operator only) and plain JavaScript. Every
 * contender × shape runs in its own child process (contender.ts); each one's output is checked
 * against the native result before it is timed; the table gives median ms, GFLOP/s, % of the
 * measured FMA peak, the contender's peak RSS, ORT ÷ ours and the speed-up over JS.
 *
 *   npm run bench                      markdown table on stdout, progress on stderr
 *   npm run bench -- --json            one JSON document
 *   npm run bench -- --quick           the two smallest operator shapes only (a smoke run)
 *   npm run bench -- --ort-variants    also the MatMul graph fed a pre-transposed key
 *   npm run bench -- --only block      only the shapes whose id contains the text (repeatable)
 *   npm run bench -- --no-js           leave out the JavaScript and TF.js contenders
 *   npm run bench -- --rounds 5        native and ORT interleaved in 5 rounds, samples pooled (default 3)
 *   npm run bench -- --isa avx2        the native rows on a lower kernel (NONLOCAL_AFFINITY_ISA for their
 *                                      processes), their % of peak against that kernel's FMA peak
 *   npm run bench -- --chart f.svg     also draw the GFLOP/s chart to f.svg (chart.ts; needs vega, vega-lite)
 *   npm run bench -- --chart f.svg --from report.json   only draw the chart of a saved --json report
 *
 * onnxruntime-node, onnx-proto and @tensorflow/tfjs-* are devDependencies: where they are not
 * installed (the published package's `nonlocal-affinity bench`), their rows say so and the rest runs.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { info, measureFmaPeak } from '../lib/native/info';
import { chartDependenciesMissing, chartFromFile, writeChart } from './chart';
import { plan, type Case, type Entry } from './plan';
import { machineLine, markdown, type Machine, type Row } from './report';
import { targetsTable } from './targets';
import type { BlockShape, OperatorShape } from './shapes';
import { EXIT_DISAGREES, type ContenderResult, type ContenderSpec } from './spec';

/**
 * Skip a JS-speed contender (plain JS, tfjs) whose single call would take longer than this at its
 * estimated GFLOP/s: they are here for scale, and must not dominate the run (~10 min in all).
 */
const JS_SECONDS_LIMIT = 12;

/** The budget of each per-case FMA peak measurement (a warm-up, then the best of five trials). */
const CASE_PEAK_SECONDS = 0.3;

/** The installed version of a devDependency, or null (the published package has none of them). */
function installed(name: string, ...alsoNeeded: string[]): string | null {
  try {
    for (const other of alsoNeeded) require.resolve(other);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/**
 * One-thread contenders all run on the same core (taskset -c <first allowed CPU>, where Linux has
 * taskset): on a shared VM the cores need not be equally fast — on this project's VM one vCPU ran
 * memory-heavy code about 35% slower than the other at the same FMA peak — and a 1-thread row must
 * not depend on which core the scheduler happened to pick.
 */
function pinnedCommand(threads: number, argv: string[]): [string, string[]] {
  if (threads !== 1 || process.platform !== 'linux' || pinCpu === null) return [argv[0], argv.slice(1)];
  return ['taskset', ['-c', String(pinCpu), ...argv]];
}

const pinCpu: number | null = (() => {
  if (process.platform !== 'linux') return null;
  try {
    // "pid N's current affinity list: 0,1" → the first CPU this process may use
    const list = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' }).split(':').pop()!.trim();
    const first = Number.parseInt(list, 10);
    return Number.isInteger(first) ? first : null;
  } catch {
    return null; // no taskset: unpinned
  }
})();

function runContender(entry: Entry, c: Case, expectProbe: number[] | undefined, rounds: number, isa: string | undefined): ContenderResult | { failed: string } {
  const slow = entry.gflopsEstimate !== undefined;
  const verySlow = slow && c.gflop / entry.gflopsEstimate! > 5; // multi-second calls: no warm-up, two samples
  const spec: ContenderSpec = {
    contender: entry.contender,
    threads: entry.threads,
    ...(c.block ? { block: c.shape as BlockShape } : { shape: c.shape as OperatorShape }),
    // Native and ORT run in `rounds` interleaved rounds: each round gets its share of the time.
    timeMs: slow ? 1000 : Math.max(500, Math.round(2000 / rounds)),
    minSamples: verySlow ? 2 : slow ? 3 : Math.max(3, Math.ceil(7 / rounds)),
    warmup: verySlow ? 0 : 1,
    expectProbe,
  };
  const script = path.join(__dirname, 'contender.js');
  try {
    // The spec goes through stdin: a probe of 3 × 1024 numbers is too long for one argv string.
    const [command, args] = pinnedCommand(entry.threads, [process.execPath, script]);
    // --isa: the addon reads NONLOCAL_AFFINITY_ISA as it loads, so the child gets it in its environment.
    const env = isa === undefined ? process.env : { ...process.env, NONLOCAL_AFFINITY_ISA: isa };
    const stdout = execFileSync(command, args, { input: JSON.stringify(spec), encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'], maxBuffer: 64 << 20, env });
    return JSON.parse(stdout.trim().split('\n').pop()!) as ContenderResult;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === EXIT_DISAGREES || entry.family === 'native') throw new Error(`${entry.label} on ${c.shape.id} failed (exit ${status}); see its stderr above`);
    // A peer that crashes (or runs out of memory) gets a row that says so; the run goes on.
    return { failed: `failed (exit ${status ?? (error as { signal?: string }).signal})` };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The flags (node:util parseArgs, strict): an unknown or misspelt flag stops here, before minutes of
 * benchmark, instead of being ignored.
 */
function parseBenchArgs(argv: string[]): { json: boolean; quick: boolean; ortVariants: boolean; noJs: boolean; only: string[]; rounds: number; isa?: string; chartFile?: string; fromFile?: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean' },
      quick: { type: 'boolean' },
      'ort-variants': { type: 'boolean' },
      'no-js': { type: 'boolean' },
      only: { type: 'string', multiple: true },
      rounds: { type: 'string' },
      isa: { type: 'string' },
      chart: { type: 'string' },
      from: { type: 'string' },
    },
  });
  const rounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds needs a whole number ≥ 1, got ${JSON.stringify(values.rounds)}`);
  for (const [flag, file] of [['--chart', values.chart], ['--from', values.from]] as const) {
    if (file !== undefined && (file === '' || file.startsWith('--'))) throw new Error(`${flag} needs a file name`);
  }
  if (values.from !== undefined && values.chart === undefined) throw new Error('--from <report.json> goes with --chart <out.svg>');
  const isas = info().isas;
  if (values.isa !== undefined && !isas.includes(values.isa)) throw new Error(`--isa must be one of ${isas.join(', ')} (the kernels this CPU runs), got ${JSON.stringify(values.isa)}`);
  return { json: values.json === true, quick: values.quick === true, ortVariants: values['ort-variants'] === true, noJs: values['no-js'] === true, only: values.only ?? [], rounds, isa: values.isa, chartFile: values.chart, fromFile: values.from };
}

function main(): void {
  let parsed: ReturnType<typeof parseBenchArgs>;
  try {
    parsed = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n(flags: --json --quick --ort-variants --no-js --only <text> --rounds <n> --isa <kernel> --chart <out.svg> [--from <report.json>])\n`);
    process.exitCode = 2;
    return;
  }
  const { json, only, rounds, chartFile, fromFile } = parsed;
  if (fromFile !== undefined) {
    // Draw a saved report's chart; nothing is run.
    void chartFromFile(fromFile, chartFile!);
    return;
  }
  const chartProblem = chartFile === undefined ? null : chartDependenciesMissing();
  if (chartProblem !== null) {
    // Say so now, not after minutes of benchmark.
    process.stderr.write(`--chart: ${chartProblem}\n`);
    process.exitCode = 1;
    return;
  }

  const cores = os.availableParallelism();
  const ortVersion = installed('onnxruntime-node', 'onnx-proto');
  const tfjsVersion = installed('@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm');
  const machine: Machine = {
    date: new Date().toISOString().slice(0, 10),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores,
    node: process.version,
    isa: parsed.isa ?? info().isa,
    openmp: info().openmp,
    onnxruntime: ortVersion,
    tfjs: tfjsVersion,
    pinnedCpu: pinCpu,
    rounds,
  };
  const log = (s: string): void => {
    if (!json) process.stderr.write(`${s}\n`);
  };
  // The FMA peak, measured by the addon with all threads busy and with one (for the 1-thread rows).
  const isa = parsed.isa ?? info().isa;
  const peak = { all: measureFmaPeak({ threads: cores, seconds: 0.5, isa }), one: measureFmaPeak({ threads: 1, seconds: 0.5, isa }) };
  log(`# ${machineLine(machine)}`);

  const rows: Row[] = [];
  const peaks: { all: number; one: number }[] = [];
  // Rounds: the native and ORT contenders of a case run one after another, `rounds` times over,
  // and each one's samples are pooled. A machine whose speed drifts (a shared VM) then slows every
  // contender alike, instead of whichever happened to run during the slow spell.
  const cases = plan({ cores, quick: parsed.quick, ortVariants: parsed.ortVariants })
    .filter((c) => only.length === 0 || only.some((o) => c.shape.id.includes(o)))
    .map((c) => (parsed.noJs ? { ...c, entries: c.entries.filter((e) => e.family === 'native' || e.family === 'ort') } : c));
  for (const c of cases) {
    const caseRows: Row[] = [];
    let reference: ContenderResult | undefined;
    let jsBaseline: ContenderResult | undefined;
    const pooled = new Map<Entry, { results: ContenderResult[]; row: Row }>();
    // The peak again before each round of this case: the VM's speed drifts over minutes, and a
    // row's % of peak should compare it with the machine of its own minute (the median of the
    // case's measurements is used).
    const casePeaks = { all: [] as number[], one: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      casePeaks.all.push(measureFmaPeak({ threads: cores, seconds: CASE_PEAK_SECONDS, isa }));
      casePeaks.one.push(measureFmaPeak({ threads: 1, seconds: CASE_PEAK_SECONDS, isa }));
      for (const entry of c.entries) {
        const interleaved = entry.family === 'native' || entry.family === 'ort';
        if (round > 0 && !interleaved) continue;
        let slot = pooled.get(entry);
        if (slot === undefined) {
          const row: Row = { shape: c.shape.id, contender: entry.label, kind: entry.contender, family: entry.family, threads: entry.threads, engine: null, medianMs: null, gflops: null, percentOfPeak: null, maxRssMb: null, ortOverOurs: null, speedupOverJs: null, samples: 0 };
          caseRows.push(row);
          slot = { results: [], row };
          pooled.set(entry, slot);
        } else if (slot.row.note !== undefined) {
          continue; // skipped or failed in an earlier round
        }
        const row = slot.row;
        const estimatedSeconds = entry.gflopsEstimate === undefined ? 0 : c.gflop / entry.gflopsEstimate;
        if (estimatedSeconds > JS_SECONDS_LIMIT) {
          row.note = `skipped (~${Math.round(estimatedSeconds)} s per call)`;
          continue;
        }
        if ((entry.family === 'ort' && ortVersion === null) || (entry.family === 'tfjs' && tfjsVersion === null)) {
          row.note = `not installed (devDependency ${entry.family === 'ort' ? 'onnxruntime-node' : '@tensorflow/tfjs-*'})`;
          continue;
        }
        log(`${c.shape.id}: ${entry.label}${interleaved && rounds > 1 ? ` (round ${round + 1}/${rounds})` : ''} …`);
        // The unmasked twin computes another function: it is not held to the causal row's output.
        const r = runContender(entry, c, entry.contender === 'native-unmasked' ? undefined : reference?.probe, interleaved ? rounds : 1, parsed.isa);
        if ('failed' in r) {
          row.note = r.failed;
          continue;
        }
        reference ??= r;
        if (entry.family === 'js') jsBaseline = r; // the last JS contender: naive loop / reference block
        slot.results.push(r);
        const all = slot.results.flatMap((x) => (x.samplesMs.length > 0 ? x.samplesMs : [x.medianMs]));
        row.engine = r.engine;
        row.medianMs = median(all);
        row.gflops = (entry.gflop ?? c.gflop) / (row.medianMs / 1e3);
        row.maxRssMb = Math.max(...slot.results.map((x) => x.maxRssMb));
        row.samples = all.length;
      }
    }
    const peakOf = { all: median(casePeaks.all), one: median(casePeaks.one) };
    peaks.push(peakOf);
    for (const row of caseRows) {
      if (row.medianMs === null) continue;
      row.percentOfPeak = (100 * row.gflops!) / (row.threads === 1 ? peakOf.one : peakOf.all);
      if (jsBaseline) row.speedupOverJs = jsBaseline.medianMs / row.medianMs;
      if (row.family !== 'native' || row.kind === 'native-unmasked') continue;
      // The pre-transposed-key variant is left out: its input was prepared outside the timing.
      const ort = caseRows.filter((o) => o.family === 'ort' && o.kind !== 'ort-matmul-kt' && o.threads === row.threads && o.medianMs !== null);
      if (ort.length > 0) row.ortOverOurs = Math.min(...ort.map((o) => o.medianMs!)) / row.medianMs;
    }
    rows.push(...caseRows);
  }

  const doc = { machine, fmaPeakGflops: { ...peak, perCase: peaks }, flops: { attention: '2·B·H·pairs·(dk+dv), pairs = N·M or N(N+1)/2 causal', block: '2·N·C·3Ci + 4·N·M·Ci + 2·N·Ci·C' }, rows };
  if (chartFile !== undefined) {
    writeChart(doc, chartFile).then(
      () => process.stderr.write(`chart: ${chartFile}\n`),
      (error: Error) => {
        process.stderr.write(`chart: ${error.message}\n`);
        process.exitCode = 1;
      },
    );
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${markdown(machine, peak, rows, peaks)}\n\n${targetsTable(rows, isa === info().isas[info().isas.length - 1])}\n`);
  const find = (id: string, label: string): Row | undefined => rows.find((r) => r.shape === id && r.contender === label);
  const all4096 = find('[1,4096,64]²', `native, ${cores} threads`);
  const one4096 = find('[1,4096,64]²', 'native, 1 thread');
  if (all4096?.medianMs && one4096?.medianMs) log(`\n${cores} threads vs 1 thread at [1,4096,64]²: ${(one4096.medianMs / all4096.medianMs).toFixed(2)}×`);
}

main();
