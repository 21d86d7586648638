/**
 * info() tells the truth about the addon that is loaded: which kernel runs (NONLOCAL_AFFINITY_ISA
 * lowers it) and whether OpenMP is built in. CI runs this suite against every build it makes
 * (node-gyp, cmake-js, `node-gyp rebuild --openmp=false`, each forced ISA) and says what to expect:
 *
 *   NONLOCAL_AFFINITY_EXPECT_OPENMP=false   the addon under test was built without OpenMP
 *   NONLOCAL_AFFINITY_ISA=scalar|avx2|avx512 the kernel forced for the whole run
 *
 * Without them it expects the default build: OpenMP on Linux, the best kernel the CPU has.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { info } from '../../lib/native/info';
import { attention, reference } from '../../lib/index';

const root = path.resolve(__dirname, '..', '..');
const forced = process.env.NONLOCAL_AFFINITY_ISA;
const expectOpenmp = process.env.NONLOCAL_AFFINITY_EXPECT_OPENMP === undefined ? process.platform === 'linux' : process.env.NONLOCAL_AFFINITY_EXPECT_OPENMP !== 'false';

/** Loads the addon in a fresh node (same environment) and reports info() and whether libgomp got mapped. */
function probe(env: Record<string, string | undefined> = {}): { isa: string; isas: string[]; openmp: boolean; threads: number; libgomp: boolean | null } {
  const script = `
    const { info } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'native', 'info.js'))});
    const i = info();
    let libgomp = null;
    try { libgomp = /libgomp/.test(require('node:fs').readFileSync('/proc/self/maps', 'utf8')); } catch {}
    process.stdout.write(JSON.stringify({ ...i, libgomp }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' })) as ReturnType<typeof probe>;
}

describe(`the loaded addon (${process.env.NONLOCAL_AFFINITY_ADDON ?? 'build/Release or prebuilds/'}; NONLOCAL_AFFINITY_ISA=${forced ?? 'unset'})`, () => {
  test(`info().openmp is ${String(expectOpenmp)}, and libgomp is mapped exactly when it says OpenMP`, () => {
    const i = info();
    expect(i.openmp).toBe(expectOpenmp);
    if (!i.openmp) expect(i.threads).toBe(1);
    const p = probe();
    expect(p.openmp).toBe(expectOpenmp);
    if (p.libgomp !== null && process.platform === 'linux') expect(p.libgomp).toBe(expectOpenmp);
  });

  test('info().isa is the forced kernel when the CPU has it, else the best one', () => {
    const i = info();
    const best = i.isas[i.isas.length - 1];
    const expected = forced !== undefined && i.isas.includes(forced) ? forced : best;
    expect(i.isa).toBe(expected);
    if (forced !== undefined && forced !== '' && !i.isas.includes(forced)) process.stderr.write(`NONLOCAL_AFFINITY_ISA=${forced}: this CPU lacks it, ${best} runs\n`);
  });

  test('the operator in force agrees with the reference', () => {
    const n = 33, m = 47, d = 24;
    const fill = (len: number, seed: number): Float32Array => Float32Array.from({ length: len }, (_, j) => Math.sin(seed * 997 + j * 0.61));
    const q = { data: fill(n * d, 1), shape: [n, d] }, k = { data: fill(m * d, 2), shape: [m, d] }, v = { data: fill(m * d, 3), shape: [m, d] };
    for (const threads of [1, 2]) {
      const y = attention(q, k, v, { threads });
      const r = reference.attention(q, k, v);
      let maxDiff = 0;
      for (let j = 0; j < r.data.length; j++) maxDiff = Math.max(maxDiff, Math.abs(y.data[j] - r.data[j]));
      expect(maxDiff).toBeLessThan(1e-5);
    }
  });
});
