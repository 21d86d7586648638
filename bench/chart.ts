/**
 * The benchmark chart: GFLOP/s per shape for ours, ONNX Runtime (the faster of its graphs for each
 * shape and thread count) and plain JavaScript, as grouped horizontal bars on a log scale, with the
 * report's machine line as the subtitle and the measured FMA peaks as dashed rules. A vega-lite spec,
 * compiled and rendered by vega's headless View (renderer 'none', view.toSVG()): pure JS, no canvas.
 *
 *   npm run bench -- --chart docs/images/bench.svg                       run the benchmark, then draw it
 *   npm run bench -- --chart docs/images/bench.svg --from report.json    draw a saved --json report
 *   node dist/bench/chart.js report.json docs/images/bench.svg           the same, directly
 *
 * vega and vega-lite are devDependencies and ESM-only: they are loaded with a dynamic import() (which
 * TypeScript keeps as a real import() in this CommonJS output under module node16) and only when a
 * chart is drawn, so the shipped dist/bench runs without them; without them, drawing a chart fails
 * with a message that says what to install. The SVG is written atomically (temporary file + rename).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { writeFileAtomic } from '../lib/io/atomic-write';
import { machineLine, type Machine, type Row } from './report';

/** What `npm run bench -- --json` prints (the chart reads machine, fmaPeakGflops and rows). */
export interface BenchReport {
  machine: Machine;
  fmaPeakGflops: { all: number; one: number };
  rows: Row[];
}

interface Bar {
  shape: string;
  series: string;
  gflops: number;
  /** the bar's end label: the figure, and which graph / JS contender it is */
  label: string;
  /** the bar's left end: the log scale's lower bound */
  base: number;
}

interface Missing {
  shape: string;
  series: string;
  note: string;
  base: number;
}

/** The 1-2-5 number (…, 0.5, 1, 2, 5, 10, …) at or below / at or above x. */
function nice(x: number, way: 'up' | 'down'): number {
  if (!Number.isFinite(x) || x <= 0) return way === 'up' ? 1000 : 0.1;
  const decade = 10 ** Math.floor(Math.log10(x));
  const steps = [1, 2, 5, 10].map((m) => m * decade);
  return way === 'down' ? steps.filter((v) => v <= x * (1 + 1e-9)).pop()! : steps.find((v) => v >= x * (1 - 1e-9))!;
}

const threadsLabel = (t: number): string => (t === 1 ? '1 thread' : `${t} threads`);
const figure = (g: number): string => (g >= 10 ? g.toFixed(0) : g.toFixed(1));
const ORT_GRAPH: Record<string, string> = { 'ort-matmul': 'MatMul graph', 'ort-mha': 'MultiHeadAttention', 'ort-block': 'NonLocal2d graph', 'ort-mha-masked': 'MultiHeadAttention', 'ort-gqa': 'GroupQueryAttention' };
const JS_NAME: Record<string, string> = { naive: 'naive loop', reference: 'reference' };

/** Series, in legend order, with their colours: darker for all threads, lighter for one. */
function seriesOf(threadCounts: number[]): { names: string[]; colors: string[] } {
  const names: string[] = [];
  const colors: string[] = [];
  const shades = { ours: ['#1f5fa8', '#8bb7e6'], ort: ['#c8571b', '#f2b07c'] };
  for (const [family, title] of [['ours', 'nonlocal-affinity'], ['ort', 'ONNX Runtime']] as const) {
    threadCounts.forEach((t, i) => {
      names.push(`${title}, ${threadsLabel(t)}`);
      colors.push(shades[family][Math.min(i, 1)]);
    });
  }
  names.push('plain JavaScript, 1 thread');
  colors.push('#7a7a7a');
  return { names, colors };
}

/** The bars (and the notes for contenders that were skipped or failed) of a report. */
export function chartData(report: BenchReport): { shapes: string[]; series: string[]; colors: string[]; bars: Bar[]; missing: Missing[]; domain: [number, number] } {
  const rows = report.rows;
  const shapes = [...new Set(rows.map((r) => r.shape))];
  const threadCounts = [...new Set(rows.filter((r) => r.family === 'native').map((r) => r.threads))].sort((a, b) => b - a);
  const { names, colors } = seriesOf(threadCounts);
  const bars: Bar[] = [];
  const missing: Missing[] = [];
  // The fastest row of a group, or a note saying why the group has none.
  const pick = (shape: string, series: string, group: Row[], name: (r: Row) => string): void => {
    const timed = group.filter((r) => r.gflops !== null && r.gflops > 0);
    if (timed.length > 0) {
      const best = timed.reduce((a, b) => (b.gflops! > a.gflops! ? b : a));
      const what = name(best);
      bars.push({ shape, series, gflops: best.gflops!, label: `${figure(best.gflops!)}${what ? ` · ${what}` : ''}`, base: 0 });
    } else if (group.length > 0) {
      missing.push({ shape, series, note: group.map((r) => r.note).find((n) => n !== undefined) ?? 'no result', base: 0 });
    }
  };
  for (const shape of shapes) {
    const here = rows.filter((r) => r.shape === shape);
    threadCounts.forEach((t, i) => pick(shape, names[i], here.filter((r) => r.family === 'native' && r.kind !== 'native-unmasked' && r.threads === t), () => ''));
    // The pre-transposed-key variant is left out, as in the table's ORT ÷ ours: its input was prepared off the clock.
    threadCounts.forEach((t, i) =>
      pick(shape, names[threadCounts.length + i], here.filter((r) => r.family === 'ort' && r.kind !== 'ort-matmul-kt' && r.threads === t), (r) => ORT_GRAPH[r.kind] ?? r.contender),
    );
    pick(shape, names[names.length - 1], here.filter((r) => r.family === 'js'), (r) => JS_NAME[r.kind] ?? r.contender);
  }
  // A 1-2-5 bound below the slowest bar, and one above the fastest bar (or peak) with room for its end label.
  const ends = [...bars.map((b) => b.gflops), report.fmaPeakGflops.all, report.fmaPeakGflops.one].filter((g) => Number.isFinite(g) && g > 0);
  const lo = nice(Math.min(...ends) * 0.8, 'down');
  const hi = nice(Math.max(...ends) * 1.6, 'up');
  for (const b of [...bars, ...missing]) b.base = lo;
  // Only the series the report has (no JS series after --no-js).
  const present = names.map((n) => [...bars, ...missing].some((b) => b.series === n));
  return { shapes, series: names.filter((_, i) => present[i]), colors: colors.filter((_, i) => present[i]), bars, missing, domain: [lo, hi] };
}

/** The vega-lite spec of the chart (a plain object: no vega types needed to build it). */
export function chartSpec(report: BenchReport): Record<string, unknown> {
  const { shapes, series, colors, bars, missing, domain } = chartData(report);
  const { machine, fmaPeakGflops: peak } = report;
  // The peak rules' labels sit above the plot: the all-thread one starting at its rule, the 1-thread one ending at its own.
  const peaks = [
    { gflops: peak.all, label: `FMA peak, ${threadsLabel(machine.cores)}: ${figure(peak.all)}`, align: 'left', dy: -16 },
    ...(machine.cores > 1 ? [{ gflops: peak.one, label: `FMA peak, 1 thread: ${figure(peak.one)}`, align: 'right', dy: -4 }] : []),
  ].filter((p) => Number.isFinite(p.gflops) && p.gflops > 0);
  const x = { field: 'gflops', type: 'quantitative', scale: { type: 'log', domain, clamp: true }, title: 'GFLOP/s (log scale; longer is faster)', axis: { grid: true, format: '~g', labelFontSize: 11, titleFontSize: 12, labelFlush: false } };
  const y = { field: 'shape', type: 'nominal', sort: shapes, title: null, axis: { labelLimit: 280, labelFontSize: 11, labelFontWeight: 'bold', domain: false, ticks: false, labelPadding: 6 } };
  const yOffset = { field: 'series', type: 'nominal', sort: series, scale: { paddingOuter: 0.4 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'nonlocal-affinity benchmark: GFLOP/s per shape (npm run bench)',
      subtitle: [
        machineLine(machine),
        `Measured FP32 FMA peak (dashed): ${figure(peak.all)} GFLOP/s on ${threadsLabel(machine.cores)}, ${figure(peak.one)} on 1 · native and ORT in ${machine.rounds} interleaved round${machine.rounds === 1 ? '' : 's'}${machine.pinnedCpu === null ? '' : `, 1-thread rows pinned to CPU ${machine.pinnedCpu}`}`,
        `ONNX Runtime: the faster of its graphs for each shape and thread count (named on the bar)${series.some((n) => n.startsWith('plain JavaScript')) ? ' · JavaScript: the faster of the naive loop and reference.*' : ''}`,
        'These are one machine\'s figures: run npm run bench on yours.',
      ],
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 11,
      subtitleColor: '#444',
      offset: 12,
    },
    width: 700,
    height: { step: 11 },
    background: 'white',
    padding: 12,
    config: { view: { stroke: null }, axis: { labelColor: '#222', titleColor: '#222' }, legend: { labelFontSize: 11, labelLimit: 320 } },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', height: { band: 0.9 } },
        encoding: {
          y,
          yOffset,
          x,
          x2: { field: 'base' },
          color: { field: 'series', type: 'nominal', sort: series, scale: { domain: series, range: colors }, legend: { title: null, orient: 'top', direction: 'horizontal', columns: 2, columnPadding: 24, symbolType: 'square' } },
          tooltip: [{ field: 'shape' }, { field: 'series' }, { field: 'label', title: 'GFLOP/s' }],
        },
      },
      {
        data: { values: bars },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, color: '#333' },
        encoding: { y, yOffset, x, text: { field: 'label' } },
      },
      {
        data: { values: missing },
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, fontStyle: 'italic', color: '#888' },
        encoding: { y, yOffset, x: { ...x, field: 'base' }, text: { field: 'note' } },
      },
      {
        data: { values: peaks },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#b22', strokeWidth: 1 },
        encoding: { x },
      },
      ...peaks.map((p) => ({
        data: { values: [p] },
        mark: { type: 'text', align: p.align, baseline: 'bottom', dx: p.align === 'left' ? 3 : -3, y: p.dy, fontSize: 10, color: '#b22' },
        encoding: { x, text: { field: 'label' } },
      })),
    ],
  };
}

/** `import(name)` of an ESM-only devDependency, with an error that says what to install. */
async function importDev<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(missingMessage(name));
    }
    throw error;
  }
}

/** Null when vega and vega-lite can be loaded, else the message renderChartSvg would fail with (checked before a long run). */
export function chartDependenciesMissing(): string | null {
  for (const name of ['vega-lite', 'vega']) {
    try {
      require.resolve(name);
    } catch {
      return missingMessage(name);
    }
  }
  return null;
}

const missingMessage = (name: string): string =>
  `the benchmark chart needs ${name}, a devDependency of nonlocal-affinity that is not installed here: npm install --save-dev vega vega-lite (in a checkout: npm install)`;

/** The chart as an SVG document. */
export async function renderChartSvg(report: BenchReport): Promise<string> {
  const vl = await importDev('vega-lite', () => import('vega-lite'));
  const vega = await importDev('vega', () => import('vega'));
  const compiled = vl.compile(chartSpec(report) as unknown as Parameters<typeof vl.compile>[0]);
  // Without the canvas package vega sizes text as 0.8 em a character, which truncates the legend
  // and pads the picture by half its width: measure with typical sans-serif widths instead.
  const metrics = (vega as unknown as { textMetrics?: { width: TextWidth } }).textMetrics;
  const previous = metrics?.width;
  if (metrics && metrics.width === (metrics as { estimateWidth?: TextWidth }).estimateWidth) metrics.width = sansSerifWidth;
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
    if (metrics && previous) metrics.width = previous;
  }
}

type TextWidth = (item: { fontSize?: number; fontWeight?: string | number; limit?: number }, text?: unknown) => number;

/** Advance widths in em of DejaVu Sans (the widest common sans-serif), by character class. */
function emWidth(c: string): number {
  if (c === ' ') return 0.32;
  if (/[il.,:;|!'’]/.test(c)) return 0.28;
  if (/[fjrt()[\]{}\/-]/.test(c)) return 0.4;
  if (/[mwMW]/.test(c)) return 0.95;
  if (/[0-9]/.test(c)) return 0.64;
  if (/[A-Z]/.test(c)) return 0.72;
  if (/[a-z]/.test(c)) return 0.61;
  return 0.7; // ·, ², ×, →, …
}

const sansSerifWidth: TextWidth = (item, text) => {
  const size = item.fontSize ?? 11;
  const s = text === undefined || text === null ? '' : String(text).trim();
  let em = 0;
  for (const c of s) em += emWidth(c);
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600 ? 1.1 : 1;
  const width = Math.ceil(em * size * bold);
  // vega's own measures return the width after truncation to the item's limit (labelLimit)
  return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
};

/** Renders the chart and writes it to `file` atomically (a temporary file beside it, then a rename). */
export async function writeChart(report: BenchReport, file: string): Promise<void> {
  const svg = await renderChartSvg(report);
  writeFileAtomic(file, new TextEncoder().encode(svg));
}

/**
 * A saved report: the JSON document of `npm run bench -- --json`. Lines before it are skipped, so
 * `npm run bench -- --json > report.json` (which also captures npm's "> nonlocal-affinity@… bench"
 * banner) reads as it is.
 */
export function readReport(file: string): BenchReport {
  const text = fs.readFileSync(file, 'utf8');
  const start = text.startsWith('{') ? 0 : text.indexOf('\n{') + 1;
  if (start < 0 || text[start] !== '{') throw new Error(`${file}: no JSON report in it (make one with npm run bench -- --json > ${file})`);
  const report = JSON.parse(text.slice(start)) as BenchReport;
  if (!report || typeof report !== 'object' || !Array.isArray(report.rows) || !report.machine || !report.fmaPeakGflops) {
    throw new Error(`${file}: not a benchmark report (it needs machine, fmaPeakGflops and rows, as npm run bench -- --json prints them)`);
  }
  return report;
}

/** Reads a saved report, writes the chart, says so on stderr; failures set the exit code. */
export async function chartFromFile(reportFile: string, svgFile: string): Promise<void> {
  try {
    const report = readReport(reportFile);
    await writeChart(report, svgFile);
    const shapes = new Set(report.rows.map((r) => r.shape)).size;
    process.stderr.write(`chart: ${svgFile} (${shapes} shape${shapes === 1 ? '' : 's'}, from ${reportFile})\n`);
  } catch (error) {
    process.stderr.write(`chart: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  const [reportFile, svgFile, ...rest] = process.argv.slice(2);
  if (reportFile === undefined || svgFile === undefined || rest.length > 0) {
    process.stderr.write(`usage: node ${path.relative(process.cwd(), __filename)} <report.json> <out.svg>   (report.json from npm run bench -- --json)\n`);
    process.exitCode = 2;
  } else {
    void chartFromFile(reportFile, svgFile);
  }
}
