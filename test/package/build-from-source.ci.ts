/**
 * The packed package installed with install scripts enabled and `--build-from-source`: its
 * `install` script (node-gyp-build) compiles the addon with node-gyp from the shipped binding.gyp
 * and sources, and the loader then prefers that build over the prebuild. Also runs the shipped
 * benchmark (`nonlocal-affinity bench --quick`) from the installed package, without the
 * devDependencies. As in packed-install.test.ts, the dependencies are tarballs packed from the
 * checkout's node_modules and installed offline with an empty npm cache (packDependencies), and
 * the project's allowScripts lets npm 11 run our install script. Compiling takes about half a
 * minute to a minute, so this is not part of `npm test`; CI runs it as its own step:
 *
 *   npx jest --testMatch '<rootDir>/test/package/*.ci.ts'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  allowScriptsOf, ensurePrebuild, installOffline, loadedAddons, newProject, nodeCjs, nodeEsm, OPERATOR_CHECK, pack, packDependencies, prebuildFiles, run, VERSION, type Packed,
} from './packed';

jest.setTimeout(600_000);

let work: string;
let depsDir: string;
let packed: Packed;
let project: string;
let pkgDir: string;
let installLog: string;

beforeAll(() => {
  ensurePrebuild();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-pack-'));
  depsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-deps-'));
  packed = pack(work);
  const depTarballs = packDependencies(depsDir);
  // npm 11 runs our install script only as allowScripts says; --strict-allow-scripts fails the
  // install if the entry did not match
  project = newProject('nla-from-source-', { allowScripts: allowScriptsOf(packed.tarball) });
  const r = installOffline(project, [packed.tarball, ...depTarballs], ['--build-from-source', '--foreground-scripts', '--strict-allow-scripts']);
  installLog = r.stdout + r.stderr;
  pkgDir = path.join(project, 'node_modules', 'nonlocal-affinity');
});

afterAll(() => {
  for (const dir of [work, depsDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the install script compiled the addon with node-gyp, and the loader picks that build over the prebuild', () => {
  expect(installLog).toContain(`> nonlocal-affinity@${VERSION} install\n> node-gyp-build\n`);
  expect(installLog).not.toMatch(/not yet covered by allowScripts/);
  expect(installLog).toMatch(/gyp info ok/);
  expect(fs.statSync(path.join(pkgDir, 'build')).isDirectory()).toBe(true);
  const built = path.join(pkgDir, 'build', 'Release', 'nonlocal_affinity.node');
  expect(fs.existsSync(built)).toBe(true);
  expect(prebuildFiles(pkgDir)).toHaveLength(1); // the prebuild is there too, and loses
  expect(nodeCjs(project, `console.log(JSON.stringify(require('node-gyp-build').path(${JSON.stringify(pkgDir)})))`)).toBe(built);
  expect(loadedAddons(project)).toEqual([built]);
});

test('the source build runs the operator from CommonJS and from an ES module, with OpenMP', () => {
  const cjs = nodeCjs(project, `const api = require('nonlocal-affinity'); console.log(JSON.stringify((() => { ${OPERATOR_CHECK} })()));`) as { maxDiff: number; openmp: boolean; shape: number[] };
  expect(cjs.shape).toEqual([5, 16]);
  expect(cjs.maxDiff).toBeLessThan(1e-5);
  expect(cjs.openmp).toBe(true);
  const esm = nodeEsm(project, `import api from 'nonlocal-affinity'; console.log(JSON.stringify((() => { ${OPERATOR_CHECK} })()));`) as { maxDiff: number };
  expect(esm.maxDiff).toBeLessThan(1e-5);
});

test('the shipped benchmark runs from the installed package (bench --quick --json), without the devDependencies', () => {
  const r = run(path.join(project, 'node_modules', '.bin', 'nonlocal-affinity'), ['bench', '--quick', '--json'], { cwd: project });
  const report = JSON.parse(r.stdout) as {
    machine: { onnxruntime: string | null; tfjs: string | null; isa: string };
    rows: { family: string; medianMs: number | null }[];
  };
  expect(report.machine.onnxruntime).toBeNull(); // not installed in a user's project
  expect(report.machine.tfjs).toBeNull();
  expect(typeof report.machine.isa).toBe('string');
  const native = report.rows.filter((row) => row.family === 'native');
  expect(native.length).toBeGreaterThanOrEqual(2);
  // each row carries a measured median (its size is the machine's, not asserted)
  for (const row of native) expect(typeof row.medianMs === 'number' && Number.isFinite(row.medianMs)).toBe(true);
  expect(report.rows.some((row) => row.family === 'js' && typeof row.medianMs === 'number' && Number.isFinite(row.medianMs))).toBe(true);
});
