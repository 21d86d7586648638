/**
 * The packed package on linux-arm64, as an arm64 user gets it: the tarball (holding the linux-x64
 * and the cross-compiled linux-arm64 prebuilds of `npm run prebuild`) installed offline with
 * install scripts disabled, then loaded by the official arm64 Node under qemu-aarch64 — so nothing
 * is compiled on the "arm64 machine" and the addon must come from prebuilds/linux-arm64/.
 * Needs what tools/arm64/check.sh sets up (the cross toolchain, qemu-user, build-arm64/node), so
 * CI runs it after that script, with the other *.ci.ts suites' pattern:
 *
 *   npx jest --testMatch '<rootDir>/test/package/arm64-install.ci.ts'
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { installOffline, newProject, OPERATOR_CHECK, pack, packDependencies, ROOT, run, type Packed } from './packed';

jest.setTimeout(600_000);

const ARM64_NODE = path.join(ROOT, 'build-arm64', 'node', 'bin', 'node');
const SYSROOT = '/usr/aarch64-linux-gnu';
const arm64Prebuilds = (root: string): string[] => {
  const dir = path.join(root, 'prebuilds', 'linux-arm64');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
};

let work: string;
let depsDir: string;
let packed: Packed;
let project: string;

beforeAll(() => {
  if (!fs.existsSync(ARM64_NODE)) throw new Error(`${ARM64_NODE} is missing: run tools/arm64/check.sh first`);
  // Both prebuilds, made the way a release makes them (the cross toolchain is installed by now).
  run(process.execPath, [path.join(ROOT, 'tools', 'prebuild.js')], { cwd: ROOT });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-pack-arm64-'));
  depsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-deps-arm64-'));
  packed = pack(work);
  project = newProject('nla-arm64-');
  installOffline(project, [packed.tarball, ...packDependencies(depsDir)], ['--ignore-scripts']);
});

afterAll(() => {
  for (const dir of [work, depsDir, project]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the tarball carries the linux-x64 and the linux-arm64 prebuild', () => {
  expect(arm64Prebuilds(ROOT)).toEqual(['nonlocal-affinity.glibc.node']);
  expect(packed.files).toEqual(expect.arrayContaining(['prebuilds/linux-x64/nonlocal-affinity.glibc.node', 'prebuilds/linux-arm64/nonlocal-affinity.glibc.node']));
});

test('the arm64 Node under qemu loads the installed prebuild, runs NEON and agrees with the reference', () => {
  const pkgDir = path.join(project, 'node_modules', 'nonlocal-affinity');
  expect(fs.existsSync(path.join(pkgDir, 'build'))).toBe(false); // scripts disabled: nothing compiled
  const script = `
    const api = require('nonlocal-affinity');
    const result = (() => { ${OPERATOR_CHECK} })();
    const loaded = require('node-gyp-build').path(require('path').dirname(require.resolve('nonlocal-affinity/package.json')));
    console.log(JSON.stringify({ ...result, arch: process.arch, isas: api.info().isas, loaded }));`;
  const r = run('qemu-aarch64', ['-L', SYSROOT, ARM64_NODE, '-e', script], { cwd: project });
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxDiff: number; isa: string; isas: string[]; arch: string; openmp: boolean; loaded: string };
  expect(got.arch).toBe('arm64');
  expect(got.isa).toBe('neon');
  expect(got.isas).toEqual(['scalar', 'neon']);
  expect(got.openmp).toBe(true);
  expect(got.maxDiff).toBeLessThan(1e-5);
  expect(got.loaded).toBe(path.join(fs.realpathSync(pkgDir), 'prebuilds', 'linux-arm64', 'nonlocal-affinity.glibc.node'));
});
