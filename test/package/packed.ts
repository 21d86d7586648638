/**
 * Helpers of the packed-package suites: `npm pack` the checkout, install the tarball into a fresh
 * temporary project, and run node / tsc there. The consumer gets its dependencies as tarballs packed
 * from the checkout's own node_modules (packDependencies), installed by path with `--offline` and a
 * private empty npm cache: npm's cache holds tarballs but not the registry metadata an offline
 * install of a registry spec needs, so relying on it failed on fresh machines (ENOTCACHED); packing
 * the installed copies needs no network and installs exactly the versions the lockfile pinned. Each
 * child gets a clean environment: no npm_* variables of the outer `npm test`
 * (npm_config_local_prefix would point npm at the checkout) and no NONLOCAL_AFFINITY_ADDON (CI runs
 * the suites against other builds of the addon; the installed package must load its own).
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

/** The newest modification time of the addon's sources (native/, binding.gyp), ms. */
function newestSource(): number {
  let newest = fs.statSync(path.join(ROOT, 'binding.gyp')).mtimeMs;
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(path.join(ROOT, 'native'));
  return newest;
}

/**
 * Makes sure prebuilds/<platform>-<arch>/ holds a prebuild of the current sources: if it holds
 * none, or one older than a file under native/, runs `npm run prebuild` (tools/prebuild.js, which
 * builds in a copy of the sources, so build/Release under the suites running next to this one is
 * left alone). A stale prebuild would test the package with last week's addon.
 */
export function ensurePrebuild(): void {
  const files = prebuildFiles();
  const dir = path.join(ROOT, 'prebuilds', PLATFORM_DIR);
  if (files.length > 0 && files.every((f) => fs.statSync(path.join(dir, f)).mtimeMs >= newestSource())) return;
  run(process.execPath, [path.join(ROOT, 'tools', 'prebuild.js')], { cwd: ROOT });
  if (prebuildFiles().length === 0) throw new Error('npm run prebuild produced no prebuild for this platform');
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

/**
 * A new project in a temporary directory: a fixed package.json (plus `fields`, e.g. allowScripts),
 * which the installs below leave as written (--no-save).
 */
export function newProject(prefix: string, fields: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, ...fields }, null, 2));
  return dir;
}

/**
 * The `allowScripts` entry that lets npm 11 run the install script of the package installed from
 * `tarball`. npm matches entries against a dependency's resolved identity, and for a tarball
 * installed by path that is `file:<absolute path>` (what `npm install-scripts approve` writes): a
 * bare `nonlocal-affinity` key only matches registry installs, a relative `file:` key nothing.
 */
export function allowScriptsOf(tarball: string): Record<string, boolean> {
  return { [`file:${path.resolve(tarball)}`]: true };
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  bundleDependencies?: string[] | boolean;
  bundledDependencies?: string[] | boolean;
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
}

const REAL_ROOT = fs.realpathSync(ROOT);

/**
 * Where `name` required from the package in `fromDir` lives in the checkout, found the way Node
 * finds it: the nearest `node_modules/<name>` walking up from `fromDir`, not above the checkout.
 */
function resolveInCheckout(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    }
    if (dir === REAL_ROOT || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The installed directories (in the checkout's node_modules) of `names` and everything they depend
 * on: dependencies (must be installed), optionalDependencies and non-optional peerDependencies when
 * installed. Bundled dependencies are skipped: they travel inside their dependent's tarball.
 */
export function dependencyClosure(names: string[]): string[] {
  const dirs = new Map<string, string>(); // realpath -> name@version
  const byName = new Map<string, string>(); // name -> version
  const visit = (name: string, fromDir: string, required: boolean, via: string): void => {
    const dir = resolveInCheckout(name, fromDir);
    if (dir === undefined) {
      if (required) throw new Error(`${name} (needed by ${via}) is not installed in ${path.join(ROOT, 'node_modules')}: run npm install`);
      return;
    }
    if (dirs.has(dir)) return;
    const m = manifestOf(dir);
    const seen = byName.get(m.name);
    // the consumer gets every tarball as a top-level dependency, so two versions of one package
    // cannot both be installed from packed copies (npm would go to the registry for one of them)
    if (seen !== undefined && seen !== m.version) throw new Error(`the dependency closure holds ${m.name}@${seen} and ${m.name}@${m.version}; packDependencies installs one copy per name`);
    byName.set(m.name, m.version);
    dirs.set(dir, `${m.name}@${m.version}`);
    const bundle = m.bundleDependencies ?? m.bundledDependencies;
    const bundled = new Set(bundle === true ? Object.keys(m.dependencies ?? {}) : Array.isArray(bundle) ? bundle : []);
    const here = `${m.name}@${m.version}`;
    for (const dep of Object.keys(m.dependencies ?? {})) if (!bundled.has(dep)) visit(dep, dir, !(dep in (m.optionalDependencies ?? {})), here);
    for (const dep of Object.keys(m.optionalDependencies ?? {})) if (!bundled.has(dep)) visit(dep, dir, false, here);
    for (const dep of Object.keys(m.peerDependencies ?? {})) if (!m.peerDependenciesMeta?.[dep]?.optional) visit(dep, dir, false, here);
  };
  for (const name of names) visit(name, REAL_ROOT, true, 'nonlocal-affinity');
  return [...dirs.keys()];
}

/**
 * The packed package's runtime dependencies (and `extra` packages, e.g. @types/node for a
 * TypeScript consumer), with their whole dependency closure, as tarballs in `dest`: one
 * `npm pack <dir>...` of the checkout's installed copies, so the consumer installs them offline
 * from disk, with no registry metadata, in the versions the checkout's lockfile pinned.
 */
export function packDependencies(dest: string, extra: string[] = []): string[] {
  const deps = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest).dependencies ?? {});
  const dirs = dependencyClosure([...deps, ...extra]);
  // absolute paths: npm would read `node_modules/x` as a GitHub shorthand
  const r = run(NPM, ['pack', ...dirs, '--pack-destination', dest, '--ignore-scripts', '--json'], { cwd: ROOT });
  const infos = JSON.parse(r.stdout) as { name: string; version: string; filename: string }[];
  const want = dirs.map((d) => `${manifestOf(d).name}@${manifestOf(d).version}`).sort();
  const got = infos.map((i) => `${i.name}@${i.version}`).sort();
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`npm pack packed ${got.join(', ')}; expected ${want.join(', ')}`);
  return infos.map((i) => path.join(dest, i.filename));
}

/**
 * One `npm install --offline` of `tarballs` (ours and packDependencies') into `dir`, with a
 * private, empty npm cache: any registry request fails the install (ENOTCACHED), whatever the
 * machine's cache holds; npm's debug log (which records every request as `http fetch`) is checked
 * to hold none. --no-save keeps the project's package.json as newProject wrote it (npm would add
 * `file:` specs with temp paths). The console keeps npm's default log level: --loglevel would also
 * reach node-gyp through npm_config_loglevel and hide its `gyp info` lines.
 */
export function installOffline(dir: string, tarballs: string[], flags: string[]): Run {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-npm-cache-'));
  const logs = path.join(cache, '_logs');
  const r = run(NPM, ['install', '--offline', '--no-audit', '--no-fund', '--no-save', `--logs-dir=${logs}`, ...flags, ...tarballs], {
    cwd: dir, extraEnv: { npm_config_cache: cache },
  });
  const log = fs.existsSync(logs) ? fs.readdirSync(logs).map((f) => fs.readFileSync(path.join(logs, f), 'utf8')).join('\n') : '';
  if (!/\bhttp cache\b/.test(log)) throw new Error(`no npm debug log with http entries in ${logs}`);
  const fetches = log.split('\n').filter((l) => /\bhttp fetch\b/.test(l));
  if (fetches.length > 0) throw new Error(`npm install made registry requests:\n${fetches.join('\n')}`);
  fs.rmSync(cache, { recursive: true, force: true }); // kept (with npm's log) when the install failed
  return r;
}

/** The native addon files a CommonJS child in `dir` has loaded after `require('nonlocal-affinity').info()`. */
export function loadedAddons(dir: string): string[] {
  return nodeCjs(dir, `require('nonlocal-affinity').info(); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.endsWith('.node'))))`) as string[];
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
