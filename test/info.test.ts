import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

import { info, measureFmaPeak } from '../lib/info';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from './support/isas';
import { defaultThreads, setDefaultThreads } from '../lib/threads';

const root = path.resolve(__dirname, '..');

function infoInChild(env: Record<string, string>): { isa: string; isas: string[] } {
  const script = `const { binding } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'binding.js'))}); process.stdout.write(JSON.stringify(binding().info()));`;
  const { NONLOCAL_AFFINITY_ISA: _inherited, ...base } = process.env; // each child sets its own
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...base, ...env } }).toString()) as { isa: string; isas: string[] };
}

describe('info()', () => {
  test('reports version, the kernel in force, the supported kernels, OpenMP and threads', () => {
    const i = info();
    expect(i.version).toBe(require(path.join(root, 'package.json')).version);
    expect(i.isas[0]).toBe('scalar');
    expect(i.isas).toContain(i.isa);
    // The best one by default; the forced one when the run sets NONLOCAL_AFFINITY_ISA (CI does).
    const forced = process.env.NONLOCAL_AFFINITY_ISA;
    expect(i.isa).toBe(forced !== undefined && i.isas.includes(forced) ? forced : i.isas[i.isas.length - 1]);
    expect(typeof i.openmp).toBe('boolean');
    expect(i.threads).toBeGreaterThanOrEqual(1);
  });

  test('NONLOCAL_AFFINITY_ISA lowers the kernel for every supported name, and cannot raise it', () => {
    const { isas } = infoInChild({});
    for (const isa of isas) expect(infoInChild({ NONLOCAL_AFFINITY_ISA: isa }).isa).toBe(isa);
    expect(infoInChild({ NONLOCAL_AFFINITY_ISA: 'bogus' }).isa).toBe(isas[isas.length - 1]);
  });

  test('setDefaultThreads changes the default and rejects nonsense', () => {
    const before = defaultThreads();
    setDefaultThreads(1);
    expect(defaultThreads()).toBe(1);
    setDefaultThreads(before);
    expect(() => setDefaultThreads(0)).toThrow(/^threads must be an integer from 1 to 1024, got 0$/);
    expect(() => setDefaultThreads(2.5)).toThrow(/^threads must be an integer from 1 to 1024, got 2\.5$/);
  });
});

describe('measureFmaPeak()', () => {
  test.each(SUPPORTED_ISAS)('measures a positive FMA rate with the %s kernel, wider vectors faster', (isa) => {
    useIsa(isa);
    try {
      const gflops = measureFmaPeak({ threads: 1, seconds: 0.05 });
      process.stderr.write(`fma peak (${isa}, 1 thread): ${gflops.toFixed(1)} GFLOP/s\n`);
      expect(gflops).toBeGreaterThan(0.5);
    } finally {
      restoreIsa();
    }
  });

  test('rejects bad options', () => {
    expect(() => measureFmaPeak({ threads: 0 })).toThrow(/^options\.threads must be an integer from 1 to 1024, got 0$/);
    expect(() => measureFmaPeak({ seconds: 20 })).toThrow(/^options\.seconds must be in \(0, 10\], got 20$/);
  });
});
