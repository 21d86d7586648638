/**
 * The benchmark chart (bench/chart.ts): a small fixed report drawn to SVG — no benchmark runs, no
 * timing. Rendering runs `node dist/bench/chart.js` in a child process (as `npm run bench -- --chart`
 * does): vega and vega-lite are ESM-only, and their dynamic import() needs a plain node process, not
 * Jest's vm realm. The bars' data comes from chartData, tested in-process.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chartData, readReport, type BenchReport } from '../bench/chart';
import type { Row } from '../bench/report';

const root = path.resolve(__dirname, '..');
const chartScript = path.join(root, 'dist', 'bench', 'chart.js');

const row = (shape: string, contender: string, kind: Row['kind'], family: Row['family'], threads: number, gflops: number | null, note?: string): Row => ({
  shape, contender, kind, family, threads, engine: null, medianMs: gflops === null ? null : 1, gflops, percentOfPeak: null, maxRssMb: null, ortOverOurs: null, speedupOverJs: null, samples: 3,
  ...(note === undefined ? {} : { note }),
});

const report: BenchReport = {
  machine: { date: '2026-01-02', cpu: 'Test CPU 9000', cores: 2, node: 'v20.0.0', isa: 'avx512', openmp: true, onnxruntime: '1.30.0', tfjs: null, pinnedCpu: 0, rounds: 3 },
  fmaPeakGflops: { all: 400, one: 200 },
  rows: [
    row('[1,64,64]²', 'native, 2 threads', 'native', 'native', 2, 100),
    row('[1,64,64]²', 'native, 1 thread', 'native', 'native', 1, 90),
    row('[1,64,64]²', 'ORT MatMul→Softmax→MatMul, 2 threads', 'ort-matmul', 'ort', 2, 30),
    row('[1,64,64]²', 'ORT MultiHeadAttention, 2 threads', 'ort-mha', 'ort', 2, 40),
    row('[1,64,64]²', 'ORT MatMul→Softmax→MatMul, Kᵀ fed, 2 threads', 'ort-matmul-kt', 'ort', 2, 95),
    row('[1,64,64]²', 'ORT MatMul→Softmax→MatMul, 1 thread', 'ort-matmul', 'ort', 1, 35),
    row('[1,64,64]²', 'ORT MultiHeadAttention, 1 thread', 'ort-mha', 'ort', 1, 25),
    row('[1,64,64]²', 'tfjs cpu', 'tfjs-cpu', 'tfjs', 1, 0.5),
    row('[1,64,64]²', 'reference.attention (JS)', 'reference', 'js', 1, 1.5),
    row('[1,64,64]²', 'naive JS loop', 'naive', 'js', 1, 1.2),
    row('block C=512 64×64 (segmentation)', 'nonLocalBlock, 2 threads', 'native', 'native', 2, 320),
    row('block C=512 64×64 (segmentation)', 'nonLocalBlock, 1 thread', 'native', 'native', 1, 150),
    row('block C=512 64×64 (segmentation)', 'ORT NonLocal2d graph, 2 threads', 'ort-block', 'ort', 2, 200),
    row('block C=512 64×64 (segmentation)', 'ORT NonLocal2d graph, 1 thread', 'ort-block', 'ort', 1, 100),
    row('block C=512 64×64 (segmentation)', 'reference.nonLocalBlock (JS)', 'reference', 'js', 1, null, 'skipped (~17 s per call)'),
  ],
};

describe('chartData', () => {
  test('one bar per series and shape: ours, the faster ORT graph (the Kᵀ-fed variant never), the faster JS contender', () => {
    const d = chartData(report);
    expect(d.shapes).toEqual(['[1,64,64]²', 'block C=512 64×64 (segmentation)']);
    expect(d.series).toEqual(['nonlocal-affinity, 2 threads', 'nonlocal-affinity, 1 thread', 'ONNX Runtime, 2 threads', 'ONNX Runtime, 1 thread', 'plain JavaScript, 1 thread']);
    const bar = (shape: string, series: string) => d.bars.find((b) => b.shape === shape && b.series === series);
    expect(bar('[1,64,64]²', 'ONNX Runtime, 2 threads')).toMatchObject({ gflops: 40, label: '40 · MultiHeadAttention' });
    expect(bar('[1,64,64]²', 'ONNX Runtime, 1 thread')).toMatchObject({ gflops: 35, label: '35 · MatMul graph' });
    expect(bar('[1,64,64]²', 'plain JavaScript, 1 thread')).toMatchObject({ gflops: 1.5, label: '1.5 · reference' }); // tfjs is not "JS"
    expect(bar('block C=512 64×64 (segmentation)', 'plain JavaScript, 1 thread')).toBeUndefined();
    expect(d.missing).toEqual([{ shape: 'block C=512 64×64 (segmentation)', series: 'plain JavaScript, 1 thread', note: 'skipped (~17 s per call)', base: d.domain[0] }]);
    expect(d.bars).toHaveLength(9);
    // a log scale from a 1-2-5 bound under the slowest bar to one with room past the fastest
    expect(d.domain).toEqual([1, 1000]);
  });

  test('a saved report reads with npm run’s banner in front of it, and a file without one is refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-chart-'));
    try {
      const file = path.join(dir, 'report.json');
      fs.writeFileSync(file, `\n> nonlocal-affinity@0.1.0 bench\n> node dist/bench/main.js --json\n\n${JSON.stringify(report, null, 2)}\n`);
      expect(readReport(file).rows).toHaveLength(report.rows.length);
      fs.writeFileSync(file, '{"rows": 1}');
      expect(() => readReport(file)).toThrow(/not a benchmark report/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('node dist/bench/chart.js <report.json> <out.svg>', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-chart-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const render = (out: string): string => {
    const file = path.join(dir, 'report.json');
    fs.writeFileSync(file, JSON.stringify(report));
    execFileSync(process.execPath, [chartScript, file, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    return fs.readFileSync(out, 'utf8');
  };

  test('writes an SVG with the shapes, the contenders, the machine line and the peaks, and nothing else in the folder', () => {
    const svg = render(path.join(dir, 'bench.svg'));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const text of [
      '[1,64,64]²', 'block C=512 64×64 (segmentation)',
      'nonlocal-affinity, 2 threads', 'nonlocal-affinity, 1 thread', 'ONNX Runtime, 2 threads', 'ONNX Runtime, 1 thread', 'plain JavaScript, 1 thread',
      '40 · MultiHeadAttention', '200 · NonLocal2d graph', 'skipped (~17 s per call)',
      '2026-01-02 · Test CPU 9000 · 2 cores · Node v20.0.0 · kernel avx512 + OpenMP', 'FMA peak, 2 threads: 400', 'GFLOP/s (log scale',
    ]) expect(svg).toContain(text);
    // written atomically: no temporary file left beside it
    expect(fs.readdirSync(dir).sort()).toEqual(['bench.svg', 'report.json']);
  });

  test('the same report gives the same SVG', () => {
    expect(render(path.join(dir, 'again.svg'))).toBe(fs.readFileSync(path.join(dir, 'bench.svg'), 'utf8'));
  });

  test('a missing report fails with exit code 1 and leaves no file', () => {
    let status: number | null = null;
    try {
      execFileSync(process.execPath, [chartScript, path.join(dir, 'none.json'), path.join(dir, 'none.svg')], { stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
    }
    expect(status).toBe(1);
    expect(fs.existsSync(path.join(dir, 'none.svg'))).toBe(false);
  });
});
