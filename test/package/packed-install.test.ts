/**
 * The published package, as a user gets it: `npm pack` of this checkout (with the prebuild of
 * `npm run prebuild`), installed offline into a fresh project with install scripts disabled, then
 * used from CommonJS, from an ES module, through its command, and type-checked by tsc. Also: what
 * the loader says when nothing loads, and that `"install": "node-gyp-build"` runs and does not
 * compile when the prebuild fits. The dependencies (and @types/node) are tarballs packed from the
 * checkout's node_modules, installed by path with an empty npm cache, so the suite needs no network
 * and no registry metadata in the cache (see packDependencies in packed.ts). (The
 * --build-from-source install is build-from-source.ci.ts, a separate CI step: it compiles the addon.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  allowScriptsOf, ensurePrebuild, installOffline, loadedAddons, newProject, nodeCjs, nodeEsm, OPERATOR_CHECK, pack, packDependencies, PLATFORM_DIR, prebuildFiles, ROOT, run,
  VERSION, type Packed,
} from './packed';

jest.setTimeout(300_000);

let work: string;
let depsDir: string;
let packed: Packed;
let depTarballs: string[];
let project: string;
let pkgDir: string;
let installLog: string;

/** The banner npm prints (with --foreground-scripts) when it runs our install script. */
const INSTALL_BANNER = `> nonlocal-affinity@${VERSION} install\n> node-gyp-build\n`;

beforeAll(() => {
  ensurePrebuild();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-pack-'));
  depsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-deps-'));
  packed = pack(work);
  process.stderr.write(`packed ${path.basename(packed.tarball)}: ${packed.size} bytes, ${packed.unpackedSize} unpacked, ${packed.entryCount} files\n`);
  depTarballs = packDependencies(depsDir, ['@types/node']);
  project = newProject('nla-consumer-');
  const r = installOffline(project, [packed.tarball, ...depTarballs], ['--ignore-scripts', '--foreground-scripts']);
  installLog = r.stdout + r.stderr;
  pkgDir = path.join(project, 'node_modules', 'nonlocal-affinity');
});

afterAll(() => {
  for (const dir of [work, depsDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The `resolved` of every package npm installed in `dir` (from its hidden lockfile). */
function installedFrom(dir: string): Record<string, string | undefined> {
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  return Object.fromEntries(Object.entries(lock.packages).map(([location, p]) => [location, p.resolved]));
}

describe('the tarball', () => {
  test('holds the prebuild, both entries with types, the command, the benchmark and the sources to build from', () => {
    const files = new Set(packed.files);
    // exactly one prebuild for this platform: nonlocal-affinity[.glibc|.musl].node (prebuildify --tag-libc)
    expect(packed.files.filter((f) => f.startsWith(`prebuilds/${PLATFORM_DIR}/`))).toEqual([`prebuilds/${PLATFORM_DIR}/${prebuildFiles()[0]}`]);
    expect(prebuildFiles()[0]).toMatch(process.platform === 'linux' ? /^nonlocal-affinity\.(glibc|musl)\.node$/ : /^nonlocal-affinity\.node$/);
    for (const f of [
      'package.json', 'README.md', 'binding.gyp', 'docs/install.md', 'docs/api.md',
      'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/index.mjs', 'dist/lib/index.d.mts',
      'dist/lib/cli/main.js', 'dist/bench/main.js', 'dist/bench/contender.js',
    ]) expect(files).toContain(f);
    // every source binding.gyp compiles is shipped (so --build-from-source works)
    const gyp = fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8');
    const sources = [...gyp.matchAll(/"(native\/[^"]+\.cc)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(10);
    for (const s of sources) expect(files).toContain(s);
    // ...and the headers next to them, in native/kernel's subfolders (isa/, runtime/) too
    const kernelDir = path.join(ROOT, 'native', 'kernel');
    const kernelFiles = (fs.readdirSync(kernelDir, { recursive: true }) as string[]).filter((s) => fs.statSync(path.join(kernelDir, s)).isFile());
    expect(kernelFiles.length).toBeGreaterThan(10);
    for (const s of kernelFiles) expect(files).toContain(`native/kernel/${s.split(path.sep).join('/')}`);
  });

  test('holds no tests, fixtures, TypeScript sources, source maps or build output', () => {
    const junk = packed.files.filter((f) =>
      /^(test|tests|tools|examples|bench|lib|build[^/]*|\.ci|coverage|node_modules|native\/test)\//.test(f) ||
      /\.(map|tgz|o|a|npy|safetensors)$/.test(f) || /(^|\/)(tsconfig[^/]*\.json|jest\.config\.js|CMakeLists\.txt|\.npmrc)$/.test(f) ||
      (/\.ts$/.test(f) && !/\.d\.m?ts$/.test(f)));
    expect(junk).toEqual([]);
    expect(packed.size).toBeLessThan(1 << 20);
  });
});

describe('installed with install scripts disabled (npm install --offline --ignore-scripts)', () => {
  test('every package came from a packed tarball, none from the registry', () => {
    const resolved = installedFrom(project);
    expect(Object.keys(resolved)).toEqual(expect.arrayContaining(['node_modules/nonlocal-affinity', 'node_modules/@types/node', 'node_modules/node-gyp-build']));
    expect(Object.keys(resolved)).toHaveLength(depTarballs.length + 1);
    for (const [location, from] of Object.entries(resolved)) expect({ location, from: from?.startsWith('file:') }).toEqual({ location, from: true });
  });

  test('nothing ran and nothing was compiled: the addon comes from prebuilds/', () => {
    expect(installLog).not.toContain(INSTALL_BANNER);
    expect(installLog).not.toMatch(/gyp info/);
    expect(fs.existsSync(path.join(pkgDir, 'build'))).toBe(false);
    const prebuild = path.join(pkgDir, 'prebuilds', PLATFORM_DIR, prebuildFiles()[0]);
    const loaded = nodeCjs(project, `console.log(JSON.stringify(require('node-gyp-build').path(${JSON.stringify(pkgDir)})))`);
    expect(loaded).toBe(prebuild);
    expect(loadedAddons(project)).toEqual([prebuild]);
  });

  test('require() from CommonJS runs the operator and agrees with the reference', () => {
    const out = nodeCjs(project, `const api = require('nonlocal-affinity'); console.log(JSON.stringify((() => { ${OPERATOR_CHECK} })()));`) as {
      maxDiff: number; shape: number[]; isa: string; version: string;
    };
    expect(out.shape).toEqual([5, 16]);
    expect(out.maxDiff).toBeLessThan(1e-5);
    expect(out.version).toBe(VERSION);
  });

  test('import from an ES module: the same named exports as require(), a default export, one shared instance', () => {
    const out = nodeEsm(project, `
      import * as ns from 'nonlocal-affinity';
      import api, { attention, info, reference } from 'nonlocal-affinity';
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('nonlocal-affinity');
      const esmNames = Object.keys(ns).filter((k) => k !== 'default' && k !== '__esModule').sort();
      const cjsNames = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
      const check = (() => { ${OPERATOR_CHECK} })();
      console.log(JSON.stringify({
        esmNames, cjsNames, sameDefault: api === cjs, sameFunction: attention === cjs.attention && info === cjs.info && reference === cjs.reference,
        pkgJson: require('nonlocal-affinity/package.json').name, check,
      }));
    `) as { esmNames: string[]; cjsNames: string[]; sameDefault: boolean; sameFunction: boolean; pkgJson: string; check: { maxDiff: number; shape: number[] } };
    expect(out.cjsNames.length).toBeGreaterThan(20);
    expect(out.esmNames).toEqual(out.cjsNames);
    expect(out.sameDefault).toBe(true);
    expect(out.sameFunction).toBe(true);
    expect(out.pkgJson).toBe('nonlocal-affinity');
    expect(out.check.shape).toEqual([5, 16]);
    expect(out.check.maxDiff).toBeLessThan(1e-5);
  });

  test('the exports map hides the internals (deep imports are not part of the API)', () => {
    const r = run(process.execPath, ['-e', `require('nonlocal-affinity/dist/lib/native/binding.js')`], { cwd: project, check: false });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  test('the nonlocal-affinity command runs (npx, from node_modules/.bin)', () => {
    const r = run(path.join(project, 'node_modules', '.bin', 'nonlocal-affinity'), ['info', '--json'], { cwd: project });
    const info = JSON.parse(r.stdout) as { command: string; version: string; isa: string; fmaPeakGflops: number };
    expect(info.command).toBe('info');
    expect(info.version).toBe(VERSION);
    expect(Number.isFinite(info.fmaPeakGflops)).toBe(true); // measured; its size is the machine's
    const help = run(path.join(project, 'node_modules', '.bin', 'nonlocal-affinity'), ['--help'], { cwd: project });
    expect(help.stdout).toMatch(/Usage: nonlocal-affinity/);
    expect(help.stdout).toMatch(/\bbench\b/);
  });

  test('a TypeScript consumer type-checks against the package (CommonJS and ES module, tsc --noEmit)', () => {
    const runtimeNames = (nodeCjs(project, `console.log(JSON.stringify(Object.keys(require('nonlocal-affinity'))))`) as string[]).filter((k) => k !== '__esModule');
    expect(runtimeNames.length).toBeGreaterThan(20);
    const program = (importLine: string): string => `${importLine}
const q: Tensor = { data: new Float32Array(8), shape: [2, 4] };
const y: Tensor = attention(q, q, q, { scale: 0.5, affinity: 'dot_product' });
const later: Promise<Tensor> = attentionAsync(q, q, q);
const i: Info = info();
const isa: string = i.isa;
const openmp: boolean = i.openmp;
const ref: Tensor = reference.attention(q, q, q);
// @ts-expect-error a Float64Array is not a tensor's data
attention({ data: new Float64Array(8), shape: [2, 4] }, q, q);
// @ts-expect-error no such affinity
attention(q, q, q, { affinity: 'cosine' });
// every runtime export is declared:
const everyExport: Array<keyof typeof api> = ${JSON.stringify(runtimeNames)};
void [y, later, isa, openmp, ref, everyExport];
`;
    const src = path.join(project, 'src');
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, 'use.cts'), program(`import api = require('nonlocal-affinity');\nimport { attention, attentionAsync, info, reference, type Info, type Tensor } from 'nonlocal-affinity';`));
    fs.writeFileSync(path.join(src, 'use.mts'), program(`import * as api from 'nonlocal-affinity';\nimport { attention, attentionAsync, info, reference, type Info, type Tensor } from 'nonlocal-affinity';\nimport def from 'nonlocal-affinity';\nconst sameApi: typeof api.attention = def.attention;\nvoid sameApi;`));
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, types: ['node'], skipLibCheck: false },
      include: ['src'],
    }));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: project });
    // and it does fail on a type error (the check is real)
    fs.writeFileSync(path.join(src, 'bad.mts'), `import { info } from 'nonlocal-affinity';\nconst n: number = info().isa;\nvoid n;\n`);
    const bad = run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: project, check: false });
    fs.rmSync(path.join(src, 'bad.mts'));
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/bad\.mts.*TS2322/);
  });
});

describe('when no addon loads, the error says what was looked for and what to do', () => {
  const aside = (): string => path.join(project, 'prebuilds-aside');

  test('no build and no prebuild (install scripts disabled, nothing fits)', () => {
    fs.renameSync(path.join(pkgDir, 'prebuilds'), aside());
    try {
      for (const [args, label] of [
        [['-e', `require('nonlocal-affinity').info()`], 'cjs'],
        [['--input-type=module', '-e', `import { attention } from 'nonlocal-affinity'; attention({ data: new Float32Array(4), shape: [1, 4] }, { data: new Float32Array(4), shape: [1, 4] }, { data: new Float32Array(4), shape: [1, 4] });`], 'esm'],
      ] as const) {
        const r = run(process.execPath, [...args], { cwd: project, check: false });
        expect({ label, status: r.status }).toEqual({ label, status: 1 });
        expect(r.stderr).toContain(`Could not load the nonlocal-affinity native addon for ${PLATFORM_DIR} (Node ${process.version}).`);
        expect(r.stderr).toContain(`Looked in ${path.join(pkgDir, 'build', 'Release')} and ${path.join(pkgDir, 'prebuilds', PLATFORM_DIR)}.`);
        expect(r.stderr).toMatch(/Cause: No native build was found for platform=linux arch=x64/);
        expect(r.stderr).toContain('Possible solutions:');
        expect(r.stderr).toContain('`npm rebuild nonlocal-affinity`');
        expect(r.stderr).toMatch(/install scripts were disabled \(pnpm 10, --ignore-scripts\)/);
        expect(r.stderr).not.toMatch(/libgomp1/); // only when libgomp is the cause
      }
      // the pure-JS reference needs no addon
      const ref = nodeCjs(project, `const { reference } = require('nonlocal-affinity'); const t = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 4] }; console.log(JSON.stringify(Array.from(reference.attention(t, t, t).data)))`);
      expect(ref).toEqual([1, 2, 3, 4]);
    } finally {
      fs.renameSync(aside(), path.join(pkgDir, 'prebuilds'));
    }
  });

  test('a build whose OpenMP runtime is missing (libgomp.so.N not found) adds the libgomp1 hint', () => {
    // An addon that needs a libgomp the loader cannot find, as in a slim image without libgomp1.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-gomp-'));
    const release = path.join(pkgDir, 'build', 'Release');
    try {
      fs.writeFileSync(path.join(tmp, 'stub.c'), 'int omp_stub_marker(void) { return 1; }\n');
      fs.writeFileSync(path.join(tmp, 'addon.c'), 'extern int omp_stub_marker(void);\nint use_it(void) { return omp_stub_marker(); }\n');
      run('gcc', ['-shared', '-fPIC', '-o', 'libgomp.so.99', 'stub.c', '-Wl,-soname,libgomp.so.99'], { cwd: tmp });
      fs.mkdirSync(release, { recursive: true });
      run('gcc', ['-shared', '-fPIC', '-o', path.join(release, 'nonlocal_affinity.node'), 'addon.c', path.join(tmp, 'libgomp.so.99')], { cwd: tmp });
      fs.rmSync(path.join(tmp, 'libgomp.so.99'));
      const r = run(process.execPath, ['-e', `require('nonlocal-affinity').info()`], { cwd: project, check: false });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('Could not load the nonlocal-affinity native addon');
      expect(r.stderr).toMatch(/Cause: .*libgomp\.so\.99: cannot open shared object file/);
      expect(r.stderr).toContain('- Install the OpenMP runtime: `apt-get install libgomp1` (or rebuild with `--openmp=false`).');
    } finally {
      fs.rmSync(path.join(pkgDir, 'build'), { recursive: true, force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // and with the broken build gone, the prebuild loads again
    expect(nodeCjs(project, `console.log(JSON.stringify(require('nonlocal-affinity').info().isas.length > 0))`)).toBe(true);
  });
});

describe('installed with install scripts enabled', () => {
  test('"install": "node-gyp-build" runs, finds the prebuild fits and compiles nothing', () => {
    // npm 11 runs a dependency's install script only as allowScripts says; --strict-allow-scripts
    // fails the install if our entry did not match (instead of running it with a warning)
    const p = newProject('nla-scripts-', { allowScripts: allowScriptsOf(packed.tarball) });
    try {
      const r = installOffline(p, [packed.tarball, ...depTarballs], ['--foreground-scripts', '--strict-allow-scripts']);
      const log = r.stdout + r.stderr;
      expect(log).toContain(INSTALL_BANNER);
      expect(log).not.toMatch(/not yet covered by allowScripts/);
      expect(log).not.toMatch(/gyp info/);
      const dir = path.join(p, 'node_modules', 'nonlocal-affinity');
      expect(fs.existsSync(path.join(dir, 'build'))).toBe(false);
      expect(loadedAddons(p)).toEqual([path.join(dir, 'prebuilds', PLATFORM_DIR, prebuildFiles()[0])]);
      const out = nodeCjs(p, `const api = require('nonlocal-affinity'); console.log(JSON.stringify((() => { ${OPERATOR_CHECK} })()));`) as { maxDiff: number };
      expect(out.maxDiff).toBeLessThan(1e-5);
    } finally {
      fs.rmSync(p, { recursive: true, force: true });
    }
  });
});
