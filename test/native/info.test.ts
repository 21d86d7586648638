import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { binding } from '../../lib/native/binding';
import { info, measureFmaPeak } from '../../lib/native/info';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { defaultThreads, setDefaultThreads } from '../../lib/core/threads';

const root = path.resolve(__dirname, '..', '..');

function infoInChild(env: Record<string, string>): { isa: string; isas: string[] } {
  const script = `const { binding } = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'native', 'binding.js'))}); process.stdout.write(JSON.stringify(binding().info()));`;
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

  test('reports the cache sizes the blocking follows; on Linux they are what sysfs says for cpu 0', () => {
    const { caches } = info();
    expect(Object.keys(caches).sort()).toEqual(['l1d', 'l2', 'l3', 'source']);
    expect(caches.l1d).toBeGreaterThanOrEqual(4096);
    expect(caches.l2).toBeGreaterThan(caches.l1d);
    expect(caches.l3).toBeGreaterThanOrEqual(caches.l2);
    const dir = '/sys/devices/system/cpu/cpu0/cache';
    if (process.platform !== 'linux' || !fs.existsSync(dir)) {
      expect(['cpuid', 'default']).toContain(caches.source);
      return;
    }
    const want: Record<string, number> = {};
    for (const index of fs.readdirSync(dir).filter((n) => /^index\d+$/.test(n))) {
      const read = (f: string): string => fs.readFileSync(path.join(dir, index, f), 'utf8').trim();
      if (read('type') === 'Instruction') continue;
      const m = /^(\d+)([KMG]?)$/.exec(read('size'));
      if (m === null) continue;
      want[`l${read('level')}${read('level') === '1' ? 'd' : ''}`] = Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2] as '' | 'K' | 'M' | 'G'];
    }
    expect(caches.source).toBe('sysfs');
    expect({ l1d: caches.l1d, l2: caches.l2, l3: caches.l3 }).toEqual(expect.objectContaining(want));
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
  // What it measures is a rate of this machine, reported by `npm run perf-report` against a
  // standalone FMA loop; here only the contract: a finite positive number for every kernel, chosen
  // by `isa` or by the kernel in force, and clear errors.
  test.each(SUPPORTED_ISAS)('returns a finite positive GFLOP/s figure for the %s kernel, by option and as the kernel in force', (isa) => {
    const byOption = measureFmaPeak({ threads: 1, seconds: 0.01, isa });
    expect(Number.isFinite(byOption) && byOption > 0).toBe(true);
    useIsa(isa);
    try {
      const inForce = measureFmaPeak({ threads: 1, seconds: 0.01 });
      expect(Number.isFinite(inForce) && inForce > 0).toBe(true);
    } finally {
      restoreIsa();
    }
  });

  test('rejects bad options', () => {
    expect(() => measureFmaPeak({ threads: 0 })).toThrow(/^options\.threads must be an integer from 1 to 1024, got 0$/);
    expect(() => measureFmaPeak({ seconds: 20 })).toThrow(/^options\.seconds must be in \(0, 10\], got 20$/);
    const kernels = info().isas.map((n) => `'${n}'`).join(', ');
    expect(() => measureFmaPeak({ isa: 'neon' })).toThrow(new RangeError(`options.isa must be one of ${kernels} (the kernels this CPU runs), got 'neon'`));
    expect(() => measureFmaPeak({ isa: 3 as unknown as string })).toThrow(new TypeError(`options.isa must be a string, one of ${kernels}; got number`));
  });

  test('the native entry point checks its arguments again', () => {
    // objectContaining, not an Error instance: the addon's errors come from another realm than jest's
    const native = binding();
    expect(() => native.measureFmaPeak(1, 0.01, 'bogus')).toThrow(expect.objectContaining({ name: 'RangeError', message: "measureFmaPeak: this CPU cannot run the kernel 'bogus'" }) as Error);
    expect(() => (native.measureFmaPeak as (...a: unknown[]) => number)(1, 0.01)).toThrow(expect.objectContaining({ name: 'TypeError', message: 'measureFmaPeak(threads, seconds, isa) takes two numbers and a string' }) as Error);
    expect(() => native.measureFmaPeak(0, 0.01, 'scalar')).toThrow(expect.objectContaining({ name: 'RangeError', message: 'measureFmaPeak: threads must be in [1, 1024] and seconds in (0, 10]' }) as Error);
  });
});
