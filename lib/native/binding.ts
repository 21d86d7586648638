/**
 * The one place the native addon is loaded. node-gyp-build finds build/Release (a local build) or
 * prebuilds/<platform>-<arch>/; when neither loads, the error says what was tried and what to do.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Affinity } from '../core/tensor';

/** The affinities' codes in the native descriptors (nonlocal::Affinity). */
export type AffinityCode = 0 | 1 | 2 | 3;
export const AFFINITY_CODES: Record<Affinity, AffinityCode> = { embedded_gaussian: 0, gaussian: 1, dot_product: 2, concatenation: 3 };

/** The numeric fields of an attention call, in the order of NativeAttentionDescriptor.sizes. */
export interface AttentionSizes {
  /** 0: [B, N, H·d], 1: [B, H, N, d] */
  layout: 0 | 1;
  batch: number;
  heads: number;
  queries: number;
  keys: number;
  keyWidth: number;
  valueWidth: number;
  affinity: AffinityCode;
  threads: number;
  scale: number;
  /** Hkv: K and V heads (divides heads) */
  kvHeads: number;
  /** 0 none, 1 upper-left (j ≤ i), 2 lower-right (j ≤ i + M − N) */
  causal: 0 | 1 | 2;
  /** the bias's batch extent: 0 = no bias, 1 = broadcast, or B */
  biasBatch: number;
  /** the bias's head extent: 1 = broadcast, or H */
  biasHeads: number;
}

/** sizes' order (native/binding/attention_args.cc SizeField must match). */
export const ATTENTION_SIZE_FIELDS = [
  'layout', 'batch', 'heads', 'queries', 'keys', 'keyWidth', 'valueWidth', 'affinity', 'threads', 'scale',
  'kvHeads', 'causal', 'biasBatch', 'biasHeads',
] as const satisfies readonly (keyof AttentionSizes)[];

/**
 * The descriptor the TypeScript layer hands to the native operator (see
 * native/binding/attention_args.h): a resolved call's sizes and arrays, with the affinity coded.
 * The numbers travel packed in one Float64Array — the addon reads them with one typed-array
 * lookup, where a property each cost a tiny call about half of its native time.
 * The layers above build it from their plan (attention/args.ts); this file knows nothing of them.
 */
export interface NativeAttentionDescriptor {
  /** ATTENTION_SIZE_FIELDS, in that order (attentionSizes) */
  sizes: Float64Array;
  mask: Uint8Array | null;
  concatQuery: Float32Array | null;
  concatKey: Float32Array | null;
  /** the additive bias [biasBatch, biasHeads, N, M], or null */
  bias: Float32Array | null;
  /** optional cancel flag: one Int32Array element, nonzero = stop */
  cancel?: Int32Array | null;
}

/** The packed `sizes` of a descriptor. */
export function attentionSizes(s: AttentionSizes): Float64Array {
  const packed = new Float64Array(ATTENTION_SIZE_FIELDS.length);
  ATTENTION_SIZE_FIELDS.forEach((field, i) => {
    packed[i] = s[field];
  });
  return packed;
}

/**
 * The packed weight arrays the native block takes for one (weights, mode, pooling order) choice
 * (built by block/weights.ts packWeights).
 */
export interface NativePackedWeights {
  wx: Float32Array;
  bx: Float32Array;
  wp: Float32Array | null;
  bp: Float32Array | null;
  outWt: Float32Array;
  outB: Float32Array;
  concatTheta: Float32Array | null;
  concatPhi: Float32Array | null;
}

/** The descriptor of the native block (see native/binding/block_args.h): the plan's sizes plus the packed weights. */
export interface NativeBlockDescriptor extends NativePackedWeights {
  batch: number;
  channels: number;
  inter: number;
  /** spatial extent as (T, H, W) */
  t: number;
  h: number;
  w: number;
  /** pooling kernel per axis (1 = not pooled) */
  poolT: number;
  poolH: number;
  poolW: number;
  poolBeforeConv: boolean;
  affinity: AffinityCode;
  scale: number;
  threads: number;
  cancel?: Int32Array | null;
}

/** The data cache sizes the kernel's blocking follows (native/kernel/cache_info.h). */
export interface CacheSizes {
  /** bytes of level-1 data cache of one core */
  l1d: number;
  /** bytes of level-2 cache of one core */
  l2: number;
  /** bytes of the last-level cache */
  l3: number;
  /** where they came from: Linux's sysfs, cpuid's cache leaves, or the built-in defaults */
  source: 'sysfs' | 'sysctl' | 'cpuid' | 'default';
}

export interface NativeInfo {
  isa: string;
  isas: string[];
  openmp: boolean;
  maxThreads: number;
  caches: CacheSizes;
}

export interface NativeBinding {
  attention(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, d: NativeAttentionDescriptor): Float32Array;
  attentionAsync(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, d: NativeAttentionDescriptor): Promise<Float32Array>;
  nonLocalBlock(x: Float32Array, out: Float32Array, d: NativeBlockDescriptor): Float32Array;
  nonLocalBlockAsync(x: Float32Array, out: Float32Array, d: NativeBlockDescriptor): Promise<Float32Array>;
  info(): NativeInfo;
  selectIsa(name: string): boolean;
  /** softmax: the softmax's exp, for inputs ≤ 0 only */
  expForTesting(input: Float32Array, output: Float32Array, softmax?: boolean): Float32Array;
  measureFmaPeak(threads: number, seconds: number, isa: string): number;
  /** a zero-filled Float32Array whose first element is 64-byte aligned (a view into a larger ArrayBuffer) */
  alignedFloat32Array(length: number): Float32Array;
  addressAlignmentForTesting(array: Float32Array): number;
}

/** The package root: the nearest folder above this file holding our package.json (works from lib/ and dist/lib/). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'nonlocal-affinity') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`nonlocal-affinity: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

function load(): NativeBinding {
  const root = packageRoot();
  // NONLOCAL_AFFINITY_ADDON=/path/to/addon.node loads a specific build (the sanitizer and cmake-js
  // builds in CI); otherwise node-gyp-build finds build/Release or a prebuild.
  const override = process.env.NONLOCAL_AFFINITY_ADDON;
  if (override) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.resolve(override)) as NativeBinding;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(root) as NativeBinding;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const hints = [
      `Could not load the nonlocal-affinity native addon for ${process.platform}-${process.arch} (Node ${process.version}).`,
      `Looked in ${path.join(root, 'build', 'Release')} and ${path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)}.`,
      `Cause: ${message}`,
      'Possible solutions:',
      '- Build it from source: `npm rebuild nonlocal-affinity` (needs python3, make and a C++17 compiler).',
      '- If install scripts were disabled (pnpm 10, --ignore-scripts), allow them for nonlocal-affinity and reinstall.',
    ];
    if (/libgomp/.test(message)) hints.push('- Install the OpenMP runtime: `apt-get install libgomp1` (or rebuild with `--openmp=false`).');
    throw new Error(hints.join('\n'), { cause });
  }
}

let cached: NativeBinding | undefined;

/** The loaded addon (loaded on first use, so a pure-JS caller of `reference` never needs it). */
export function binding(): NativeBinding {
  cached ??= load();
  return cached;
}
