/**
 * Helpers of the packed-package suites: `npm pack` the checkout, install the tarball into a fresh
 * temporary project offline (from npm's cache, which `npm install` in the checkout has filled), and
 * run node / tsc there. Each child gets a clean environment: no npm_* variables of the outer
 * `npm test` (npm_config_local_prefix would point npm at the checkout) and no
 * NONLOCAL_AFFINITY_ADDON (CI runs the suites against other builds of the addon; the installed
 * package must load its own).
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const PLATFORM_DIR = `${process.platform}-${process.arch}`;
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const KEPT_NPM_CONFIG = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_nodedir', 'npm_config_cafile']);

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('npm_') && !KEPT_NPM_CONFIG.has(lower)) continue;
    if (k === 'NONLOCAL_AFFINITY_ADDON' || k === 'NONLOCAL_AFFINITY_PREBUILD' || k === 'PREBUILDS_ONLY' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; `check` (default) throws with its output when it exits non-zero. */
export function run(cmd: string, args: string[], opts: SpawnSyncOptions & { check?: boolean; extraEnv?: Record<string, string> } = {}): Run {
  const { check = true, extraEnv, ...rest } = opts;
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: cleanEnv(extraEnv), ...rest });
  if (r.error) throw r.error;
  const out: Run = { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (check && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${String(rest.cwd ?? process.cwd())}) exited ${r.status ?? r.signal}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`);
  }
  return out;
}

/** The prebuilt addon(s) for this platform in the checkout's prebuilds/. */
export function prebuildFiles(root = ROOT): string[] {
  const dir = path.join(root, 'prebuilds', PLATFORM_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
}

/**
 * Makes sure prebuilds/<platform>-<arch>/ holds a prebuild. CI runs `npm run prebuild` first; in a
 * fresh checkout this runs the same prebuildify command in a copy of the sources, because
 * prebuildify runs `node-gyp rebuild` in its working directory and would rewrite build/Release
 * under the suites running next to this one.
 */
export function ensurePrebuild(): void {
  if (prebuildFiles().length > 0) return;
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-prebuild-'));
  try {
    for (const entry of ['package.json', 'binding.gyp', 'native']) fs.cpSync(path.join(ROOT, entry), path.join(staging, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(staging, 'node_modules'), 'dir');
    // the same command as package.json's "prebuild" script
    const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prebuild;
    const args = script.split(/\s+/);
    if (args[0] !== 'prebuildify') throw new Error(`unexpected prebuild script: ${script}`);
    run(process.execPath, [path.join(ROOT, 'node_modules', 'prebuildify', 'bin.js'), ...args.slice(1)], { cwd: staging });
    fs.cpSync(path.join(staging, 'prebuilds'), path.join(ROOT, 'prebuilds'), { recursive: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  if (prebuildFiles().length === 0) throw new Error('prebuildify produced no prebuild');
}

export interface Packed {
  tarball: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: string[];
}

/**
 * `npm pack` of the checkout into `dest`. Scripts are skipped: `prepare` (tsc) would rewrite dist/
 * while other suites run it; `npm test` has just compiled it.
 */
export function pack(dest: string): Packed {
  const r = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: ROOT });
  const [info] = JSON.parse(r.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[];
  return { tarball: path.join(dest, info.filename), size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount, files: info.files.map((f) => f.path) };
}

/** A new empty project in a temporary directory. */
export function newProject(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
  return dir;
}

/** `npm install --offline` of the tarball (and `extra` packages, from the cache) into `dir`. */
export function installOffline(dir: string, specs: string[], flags: string[]): Run {
  return run(NPM, ['install', '--offline', '--no-audit', '--no-fund', ...flags, ...specs], { cwd: dir });
}

/** The version of a package installed in the checkout (so an offline install finds it in the cache). */
export function checkoutVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a CommonJS snippet in `dir` and parses the JSON it prints last. */
export function nodeCjs(dir: string, script: string, extraEnv: Record<string, string> = {}): unknown {
  const r = run(process.execPath, ['-e', script], { cwd: dir, extraEnv });
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Runs an ES module snippet in `dir` and parses the JSON it prints last. */
export function nodeEsm(dir: string, script: string, extraEnv: Record<string, string> = {}): unknown {
  const r = run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, extraEnv });
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/**
 * A small attention problem, run through the installed package and checked against its pure-JS
 * reference inside the child; prints { maxDiff, shape, isa, openmp, loadedFrom }.
 */
export const OPERATOR_CHECK = `
  const n = 5, m = 7, d = 16;
  const fill = (len, seed) => Float32Array.from({ length: len }, (_, i) => Math.sin(seed * 1000 + i * 0.37));
  const q = { data: fill(n * d, 1), shape: [n, d] }, k = { data: fill(m * d, 2), shape: [m, d] }, v = { data: fill(m * d, 3), shape: [m, d] };
  const y = api.attention(q, k, v, { scale: 0.25 });
  const r = api.reference.attention(q, k, v, { scale: 0.25 });
  let maxDiff = 0;
  for (let i = 0; i < r.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(y.data[i] - r.data[i]));
  if (!(y.data instanceof Float32Array) || y.data.length !== n * d) throw new Error('bad output');
  const i = api.info();
  return { maxDiff, shape: y.shape, isa: i.isa, openmp: i.openmp, version: i.version };
`;
