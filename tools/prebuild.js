#!/usr/bin/env node
'use strict';
// npm run prebuild: the prebuilt addons this machine can make, into prebuilds/<platform>-<arch>/:
//   - its own platform's, with prebuildify (--napi: one Node-API 8 binary for Node 20 and later;
//     --tag-libc: glibc or musl in the name; --strip);
//   - on Linux x64, also linux-arm64, cross-compiled with GCC's aarch64-linux-gnu toolchain
//     (apt-get install g++-aarch64-linux-gnu) when it is installed; skipped with a note otherwise.
// Each build runs in a copy of the sources: prebuildify runs `node-gyp rebuild` in its working
// directory and would rewrite the checkout's build/Release (for arm64, with a binary this machine's
// Node cannot load). Only the prebuilds/ it makes are copied back.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const PREBUILDIFY = require.resolve('prebuildify/bin.js', { paths: [ROOT] });
const COMMON = ['--napi', '--strip', '--tag-libc'];
const CROSS_ARM64 = { CC: 'aarch64-linux-gnu-gcc', CXX: 'aarch64-linux-gnu-g++', LINK: 'aarch64-linux-gnu-g++', AR: 'aarch64-linux-gnu-ar' };

// node-gyp compiles against npm's `nodedir` when set (npm run passes it on as npm_config_nodedir);
// run outside npm, the headers of the Node running this script, so nothing is downloaded. Node-API
// headers are the same for every architecture, so they serve the arm64 build too.
const OWN_PREFIX = path.dirname(path.dirname(process.execPath));
const NODEDIR = process.env.npm_config_nodedir ||
  (fs.existsSync(path.join(OWN_PREFIX, 'include', 'node', 'node_api.h')) ? OWN_PREFIX : undefined);

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function prebuild(label, args, env) {
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'nla-prebuild-'));
  try {
    for (const entry of ['package.json', 'binding.gyp', 'native']) fs.cpSync(path.join(ROOT, entry), path.join(staging, entry), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(staging, 'node_modules'), 'dir');
    const r = spawnSync(process.execPath, [PREBUILDIFY, ...COMMON, ...args], {
      cwd: staging, stdio: 'inherit', env: { ...process.env, ...(NODEDIR ? { npm_config_nodedir: NODEDIR } : {}), ...env },
    });
    if (r.status !== 0) throw new Error(`prebuild ${label}: prebuildify exited ${r.status ?? r.signal}`);
    fs.cpSync(path.join(staging, 'prebuilds'), path.join(ROOT, 'prebuilds'), { recursive: true });
    console.log(`prebuild ${label}: ${fs.readdirSync(path.join(staging, 'prebuilds')).map((d) => `prebuilds/${d}/`).join(', ')}`);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

prebuild(`${process.platform}-${process.arch}`, [], {});
if (process.platform === 'linux' && process.arch === 'x64') {
  if (has(CROSS_ARM64.CXX)) prebuild('linux-arm64 (cross)', ['--arch', 'arm64', '--strip-bin', 'aarch64-linux-gnu-strip'], CROSS_ARM64);
  else console.log(`prebuild linux-arm64: skipped (no ${CROSS_ARM64.CXX}; apt-get install g++-aarch64-linux-gnu to cross-compile it)`);
}
