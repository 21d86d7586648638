/**
 * fma peak: the package's measureFmaPeak() against a standalone FMA loop (tools/fma-loop.c, which
 * shares no code with the package), run in turn with the same threads and ISA. The figure is
 * the median over back-to-back pairs of |package / standalone − 1|. Goal ≤ 5%: the "% of peak" column of npm run bench
 * divides by the package's figure, so it must read what the hardware does.
 * Where the CPU has AVX-512 and AVX2, the AVX2 peak is compared too.
 * Skipped without gcc, off x86-64, for the scalar kernel, or without tools/ (an installed package).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { info, measureFmaPeak } from '../../lib/index';
import { figure, num, skipped, type Goal, type Row } from './goal';
import { ROOT } from './paths';
import { median } from './stats';
import type { Section } from './section';

const ID = 'fma-peak';
const SOURCE = path.join(ROOT, 'tools', 'fma-loop.c');
const GOAL: Goal = { op: '≤', limit: 5, unit: '%' };

/** The standalone loop's GFLOP/s: `binary threads isa`, one number on stdout. */
function standalone(binary: string, threads: number, isa: string): number {
  const out = execFileSync(binary, [String(threads), isa], { encoding: 'utf8', timeout: 60_000 }).trim();
  const gflops = Number(out);
  if (!Number.isFinite(gflops) || gflops <= 0) throw new Error(`tools/fma-loop.c printed ${JSON.stringify(out)}, not GFLOP/s`);
  return gflops;
}

/** Pairs run back to back: the package's figure, then the standalone loop's. */
const PAIRS = 7;

/**
 * The machine's own FMA rate drifts on a shared VM (by 20–30% over seconds, whichever program
 * measures it), so the two are compared pair by pair — each pair ran within about a second, in
 * the same phase — and the figure is the median of |package / standalone − 1| over the pairs.
 */
function compare(label: string, isa: string, threads: number, binary: string): Row {
  const pkg: number[] = [];
  const alone: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    pkg.push(measureFmaPeak({ threads, isa }));
    alone.push(standalone(binary, threads, isa));
  }
  const ratios = pkg.map((p, i) => p / alone[i]);
  const ratio = median(ratios);
  const diff = 100 * Math.abs(ratio - 1);
  const range = (a: number[]): string => `${num(Math.min(...a))}–${num(Math.max(...a))}`;
  const text = `${label}: measureFmaPeak ${range(pkg)} GFLOP/s, standalone loop ${range(alone)} GFLOP/s (${isa}, ${threads} thread${threads === 1 ? '' : 's'}, ` +
    `${PAIRS} pairs back to back): median ratio ${ratio.toFixed(3)}, ${num(diff)}% apart`;
  return figure(ID, text, diff, '%', GOAL, true, { isa, threads, packageGflops: pkg, standaloneGflops: alone, ratios, differencePercent: diff });
}

async function run(): Promise<Row[]> {
  if (process.arch !== 'x64') return [skipped(ID, '', `the standalone loop is x86-64 only; this is ${process.arch}`)];
  const i = info();
  if (i.isa !== 'avx512' && i.isa !== 'avx2') return [skipped(ID, '', `the kernel in force is ${i.isa}`)];
  if (!fs.existsSync(SOURCE)) return [skipped(ID, '', 'no tools/fma-loop.c (an installed package)')];
  const gcc = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  if (gcc.error !== undefined || gcc.status !== 0) return [skipped(ID, '', 'no gcc')];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nl-fma-'));
  try {
    const binary = path.join(dir, 'fma-loop');
    // -mavx512f only where the CPU has it: the compiler may use AVX-512 anywhere in such a binary.
    const flags = ['-O2', '-fopenmp', '-mavx2', '-mfma', ...(i.isas.includes('avx512') ? ['-mavx512f'] : [])];
    const cc = spawnSync('gcc', [...flags, '-o', binary, SOURCE], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`gcc ${flags.join(' ')} failed: ${(cc.stderr || String(cc.error)).trim().split('\n')[0]}`);

    const threads = i.threads;
    const rows = [compare('kernel in force', i.isa, threads, binary)];
    if (i.isa === 'avx512' && i.isas.includes('avx2')) rows.push(compare('avx2', 'avx2', threads, binary));
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const fmaPeak: Section = { id: ID, title: 'fma peak', run };
