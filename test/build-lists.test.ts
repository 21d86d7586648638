/**
 * The native sources are listed twice — binding.gyp (node-gyp, what `npm install` builds) and
 * CMakeLists.txt (cmake-js, the sanitizer builds, the C++ test) — and the native suites in .ci/run.
 * This suite keeps them in step: the same .cc files per target, the same per-file ISA flags, every
 * .cc under native/ (but native/test/) compiled, and every suite .ci/run names present. It also
 * checks native/'s include rules (docs/architecture.md, "native/").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');

interface GypTarget { target_name: string; sources?: string[]; cflags_cc?: string[] }

/** binding.gyp is a Python literal; this one is JSON once its # comments are gone. */
function parseGyp(text: string): GypTarget[] {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') ++i;
      out += '\n';
    } else {
      out += c;
    }
  }
  const gyp = JSON.parse(out) as { targets: GypTarget[]; conditions?: [string, { targets?: GypTarget[] }][] };
  return [...gyp.targets, ...(gyp.conditions ?? []).flatMap(([, branch]) => branch.targets ?? [])];
}

/** The words of a CMake command's argument list, e.g. `set(KERNEL_SOURCES a b)` → [KERNEL_SOURCES, a, b]. */
function cmakeArgs(text: string, pattern: RegExp): string[][] {
  return [...text.matchAll(pattern)].map((m) => m[1].replace(/#.*$/gm, '').split(/\s+/).filter(Boolean));
}

const gypTargets = parseGyp(read('binding.gyp'));
const gypByName = new Map(gypTargets.map((t) => [t.target_name, t]));
const cmake = read('CMakeLists.txt');
const cmakeKernel = cmakeArgs(cmake, /\bset\(KERNEL_SOURCES\s([^)]*)\)/g).flat();
const cmakeIsa = cmakeArgs(cmake, /\blist\(APPEND KERNEL_SOURCES\s([^)]*)\)/g).flat();
const cmakeAddon = cmakeArgs(cmake, /\badd_library\(\$\{PROJECT_NAME\} SHARED\s([^)]*)\)/g).flat().filter((s) => !s.startsWith('${'));
/** The GCC/Clang flags CMake gives one source file (the non-MSVC branch). */
function cmakeFlags(file: string): string[] {
  const re = new RegExp(`set_source_files_properties\\(${file.replace(/[.]/g, '\\.')} PROPERTIES COMPILE_OPTIONS "(-[^"]*)"\\)`);
  const m = re.exec(cmake);
  return m ? m[1].split(';') : [];
}

test('binding.gyp and CMakeLists.txt were parsed', () => {
  expect(gypByName.has('nonlocal_affinity')).toBe(true);
  expect(cmakeKernel.length).toBeGreaterThan(5);
  expect(cmakeIsa.length).toBe(3); // avx2 + avx512 on x86, neon on arm64
  expect(cmakeAddon.length).toBeGreaterThan(5);
});

test('the addon target compiles the same sources in both builds (binding, kernel, portable ISA)', () => {
  const gyp = gypByName.get('nonlocal_affinity')?.sources ?? [];
  expect([...gyp].sort()).toEqual([...cmakeAddon, ...cmakeKernel].sort());
});

test.each([
  ['nonlocal_kernel_avx2', 'native/kernel/isa/isa_avx2.cc'],
  ['nonlocal_kernel_avx512', 'native/kernel/isa/isa_avx512.cc'],
  ['nonlocal_kernel_neon', 'native/kernel/isa/isa_neon.cc'],
])('%s: one ISA translation unit, with the same flags in both builds', (target, file) => {
  const t = gypByName.get(target);
  expect(t?.sources).toEqual([file]);
  expect(cmakeIsa).toContain(file);
  expect(cmakeFlags(file)).toEqual(t?.cflags_cc ?? []);
});

test('every .cc under native/ (but the C++ test and the profiler) is compiled, and every listed source exists', () => {
  const listed = new Set(gypTargets.flatMap((t) => t.sources ?? []));
  const onDisk = (fs.readdirSync(path.join(ROOT, 'native'), { recursive: true }) as string[])
    .map((f) => `native/${f.split(path.sep).join('/')}`)
    .filter((f) => f.endsWith('.cc') && !f.startsWith('native/test/') && !f.startsWith('native/profile/'));
  expect([...listed].sort()).toEqual(onDisk.sort());
  // The profiler is CMake's alone (NONLOCAL_PROFILE), like the kernel test (NONLOCAL_TESTS).
  expect(read('CMakeLists.txt')).toContain('add_executable(phase_profile native/profile/phase_profile_main.cc)');
  for (const f of [...cmakeKernel, ...cmakeIsa, ...cmakeAddon]) expect(fs.existsSync(path.join(ROOT, f))).toBe(true);
});

test('every suite .ci/run names exists', () => {
  const run = read('.ci/run');
  const named = [...new Set([...run.matchAll(/\btest\/[\w./-]+\.(?:test|ci)\.ts\b/g)].map((m) => m[0]))];
  expect(named.length).toBeGreaterThan(5);
  for (const f of named) expect({ f, exists: fs.existsSync(path.join(ROOT, f)) }).toEqual({ f, exists: true });
  // the sanitizer step runs a list defined once, not a copy of it
  expect(run).toMatch(/NONLOCAL_AFFINITY_ADDON=build-asan\/nonlocal_affinity\.node \\\n\s*npx jest "\$\{SANITIZED_SUITES\[@\]\}"/);
});

/** The #include lines of every file under native/. */
function nativeIncludes(): { file: string; includes: string[] }[] {
  return (fs.readdirSync(path.join(ROOT, 'native'), { recursive: true }) as string[])
    .map((f) => `native/${f.split(path.sep).join('/')}`)
    .filter((f) => /\.(cc|h)$/.test(f))
    .map((file) => ({
      file,
      // <system.h> stays as written; "local.h" becomes a path from the root
      includes: [...read(file).matchAll(/^\s*#include\s+(?:<([^>]+)>|"([^"]+)")/gm)].map((m) =>
        m[1] ?? path.posix.normalize(path.posix.join(path.posix.dirname(file), m[2]))),
    }));
}

describe('native include rules (docs/architecture.md)', () => {
  const all = nativeIncludes();
  test('the kernel never includes napi.h', () => {
    for (const { file, includes } of all) if (file.startsWith('native/kernel/')) expect({ file, napi: includes.includes('napi.h') }).toEqual({ file, napi: false });
  });
  test('the binding includes only the kernel\'s public headers (native/kernel/*.h)', () => {
    for (const { file, includes } of all)
      if (file.startsWith('native/binding/'))
        for (const inc of includes.filter((i) => i.startsWith('native/kernel/'))) expect({ file, inc }).toEqual({ file, inc: expect.stringMatching(/^native\/kernel\/[^/]+\.h$/) });
  });
  test('nothing includes an ISA translation unit; the -inl.h parts include nothing and only isa/ includes them', () => {
    for (const { file, includes } of all) {
      for (const inc of includes) expect({ file, inc }).not.toEqual({ file, inc: expect.stringMatching(/\.cc$/) });
      if (file.endsWith('-inl.h')) expect({ file, includes }).toEqual({ file, includes: [] }); // not even <…>
      if (!file.startsWith('native/kernel/isa/'))
        for (const inc of includes) expect({ file, inc }).not.toEqual({ file, inc: expect.stringMatching(/-inl\.h$/) });
    }
  });
  test('the headers the ISA units include (kernel_table.h, tiling.h, types.h, runtime/phase_profile.h) hold no inline function', () => {
    for (const h of ['native/kernel/kernel_table.h', 'native/kernel/tiling.h', 'native/kernel/types.h', 'native/kernel/runtime/phase_profile.h']) {
      const code = read(h).replace(/\/\/.*$/gm, '');
      expect({ h, inline: /\binline\b|\)\s*(const\s*)?\{/.test(code) }).toEqual({ h, inline: false });
    }
    for (const { file, includes } of all)
      if (file.startsWith('native/kernel/isa/'))
        for (const inc of includes.filter((i) => i.startsWith('native/'))) expect(['native/kernel/kernel_table.h', 'native/kernel/runtime/phase_profile.h', 'native/kernel/isa/exp-inl.h', 'native/kernel/isa/microkernel-inl.h', 'native/kernel/isa/attention_io-inl.h', 'native/kernel/isa/attention_task-inl.h', 'native/kernel/isa/fma_loop-inl.h', 'native/kernel/isa/kernel_table-inl.h']).toContain(inc);
  });
});
