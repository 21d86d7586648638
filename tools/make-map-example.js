#!/usr/bin/env node
// @ts-check
/**
 * Makes docs/images/attention-map.png, the README's attention-map picture, with the `map` command.
 *
 *   npm run build:ts && node tools/make-map-example.js
 *
 * The input is a synthetic 24×32 feature map (d = 16) standing in for a network's θ/φ embeddings:
 * background, two instances of one object ("A", far apart) and a disc ("B"); every position's
 * feature is its region's embedding plus noise. The picture shows the non-local point of the
 * paper: a query on one instance of A attends to both instances, wherever they are. Plain
 * JavaScript (like the CLI a user runs) so it needs nothing beyond the built package.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeNpy } = require('../dist/lib/index.js');

const H = 24;
const W = 32;
const D = 16;
const root = path.resolve(__dirname, '..');
const target = path.join(root, 'docs', 'images', 'attention-map.png');

let state = 12345;
/** xorshift32 in [-0.5, 0.5): the same picture on every machine. */
function random() {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 4294967296 - 0.5;
}
/** A random direction of length `norm`. */
function embedding(norm) {
  const v = Array.from({ length: D }, random);
  const n = Math.hypot(...v);
  return v.map((x) => (x * norm) / n);
}

const background = embedding(2.0);
const objectA = embedding(3.0);
const objectB = embedding(3.0);
/** Which region a position belongs to. */
function region(i, j) {
  if ((i >= 3 && i <= 8 && j >= 3 && j <= 10) || (i >= 15 && i <= 20 && j >= 21 && j <= 29)) return objectA;
  if ((i - 13) ** 2 + (j - 15) ** 2 <= 16) return objectB;
  return background;
}

const features = new Float32Array(H * W * D);
for (let i = 0; i < H; i++) {
  for (let j = 0; j < W; j++) {
    const e = region(i, j);
    for (let c = 0; c < D; c++) features[(i * W + j) * D + c] = e[c] + 0.4 * random();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'map-example-'));
try {
  const file = path.join(dir, 'features.npy');
  writeNpy(file, { data: features, shape: [1, H * W, D] });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const cli = path.join(root, 'dist', 'lib', 'cli', 'main.js');
  // Self-attention (query = key = the features), three queries: on object A, on B, on the background.
  const args = [cli, 'map', '--query', file, '--key', file, '--shape', `${H},${W}`, '--position', '5,6', '--position', '13,15', '--position', '20,5', '--png', target];
  process.stdout.write(execFileSync(process.execPath, args, { encoding: 'utf8' }));
  console.log(`${path.relative(root, target)}: ${fs.statSync(target).size} bytes`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
