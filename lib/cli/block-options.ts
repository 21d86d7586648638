/**
 * What `block` and `batch` share: the block options, loading the weights, and checking the options
 * against the weights before any input is read.
 */
import * as util from 'node:util';
import type { Command } from 'commander';
import { loadNonLocalWeights, nonLocalBlock, type Affinity, type LoadNonLocalWeightsOptions, type NonLocalBlockOptions, type NonLocalWeights } from '../index';
import { CliError, describeError, fileError, say } from './output';
import { parseAffinity, parseThreads } from './options';

/** The block options as commander parses them. */
export interface BlockCliOptions {
  weights: string;
  prefix?: string;
  mode?: Affinity;
  subSample?: boolean;
  scale?: boolean;
  threads?: number;
}

/** Adds --weights, --prefix, --mode, --[no-]sub-sample, --[no-]scale and --threads to a command. */
export function addBlockOptions(command: Command): Command {
  return command
    .requiredOption('--weights <file>', 'safetensors state dict (a block or a whole model)')
    .option('--prefix <P>', "the block's key prefix in a whole model, e.g. neck.refine.")
    .option('--mode <name>', 'embedded_gaussian | gaussian | dot_product | concatenation (default: the checkpoint\'s)', parseAffinity)
    .option('--sub-sample', 'max-pool φ and g (default: the checkpoint\'s)')
    .option('--no-sub-sample', 'do not sub-sample')
    .option('--scale', 'divide θ·φ by √C_inter, embedded Gaussian only (default: the checkpoint\'s)')
    .option('--no-scale', 'do not scale θ·φ')
    .option('--threads <T>', 'threads per call (default: all cores)', parseThreads);
}

/** The loader's options: the prefix, and the settings the flags fix (they win over the keys and the family). */
function loaderOptions(opts: BlockCliOptions): LoadNonLocalWeightsOptions {
  const options: LoadNonLocalWeightsOptions = {};
  if (opts.prefix !== undefined) options.prefix = opts.prefix;
  if (opts.mode !== undefined) options.mode = opts.mode;
  if (opts.scale !== undefined) options.useScale = opts.scale;
  if (opts.subSample !== undefined) options.subSample = opts.subSample;
  return options;
}

/**
 * The settings a library default chose (no flag, no metadata, no recognised family) that change
 * the result — use_scale only matters for embedded Gaussian: what the notice names.
 */
export function assumedSettings(weights: NonLocalWeights): string[] {
  const c = weights.conventions;
  if (c === undefined) return [];
  const assumed: string[] = [];
  if (c.from.mode.kind === 'default') assumed.push(`mode ${c.mode}`);
  if (c.from.useScale.kind === 'default' && c.mode === 'embedded_gaussian') assumed.push(`use_scale ${c.useScale}`);
  return assumed;
}

/**
 * The call options for the parsed flags: the thread count. --mode, --scale and --sub-sample went
 * to the loader (loaderOptions), so the weights' defaults already are the settings in force.
 */
export function blockOptions(opts: BlockCliOptions, threads?: number): NonLocalBlockOptions {
  const t = threads ?? opts.threads;
  return t === undefined ? {} : { threads: t };
}

/**
 * Loads the weights and checks that the options can run on them, so a wrong --mode is reported
 * once (E_OPTIONS) rather than as a failure of every input. Errors name the weights file.
 */
export async function loadBlockWeights(opts: BlockCliOptions): Promise<NonLocalWeights> {
  let weights: NonLocalWeights;
  try {
    weights = await loadNonLocalWeights(opts.weights, loaderOptions(opts));
  } catch (error) {
    throw new CliError(fileError(error, opts.weights, 'weights'));
  }
  const assumed = assumedSettings(weights);
  if (assumed.length > 0) {
    say(`nonlocal-affinity: notice: ${opts.weights}: the block${opts.prefix ? ` at '${opts.prefix}'` : ''} is of no known model family; assuming the ${weights.conventions?.source ?? 'library default'}s: ${assumed.join(', ')} (pass --mode, --scale or --no-scale to choose)`);
  }
  // The probe runs the library's own validation on the smallest input these weights accept
  // (2 per pooled axis), instead of re-implementing which options fit which checkpoint.
  const dims = weights.dims ?? 2;
  const spatial = dims === 1 ? [2] : dims === 2 ? [2, 2] : [1, 2, 2];
  const size = weights.inChannels * spatial.reduce((a, b) => a * b, 1);
  try {
    nonLocalBlock({ data: new Float32Array(size), shape: [1, weights.inChannels, ...spatial] }, weights, blockOptions(opts, 1));
  } catch (error) {
    // Only the validation's TypeError/RangeError say the options do not fit; anything else (the
    // addon failing to load, …) is not about these weights and keeps its own message.
    const name = util.types.isNativeError(error) ? error.name : '';
    if (name !== 'RangeError' && name !== 'TypeError') throw error;
    throw new CliError({ path: opts.weights, code: 'E_OPTIONS', message: `the options do not fit these weights: ${describeError(error, opts.weights)}` });
  }
  return weights;
}

/** What the JSON document says about the weights and the settings in force (the loader resolved the flags). */
export function describeBlock(opts: BlockCliOptions, weights: NonLocalWeights): Record<string, unknown> {
  return {
    path: opts.weights,
    prefix: opts.prefix ?? null,
    convention: weights.convention,
    family: weights.conventions?.family ?? null,
    inChannels: weights.inChannels,
    interChannels: weights.interChannels,
    dims: weights.dims,
    mode: weights.defaults.mode,
    useScale: weights.defaults.useScale,
    subSample: weights.defaults.subSample,
    conventions: weights.conventions ?? null,
  };
}

/** The settings in one phrase for the summary line: "mmcv mmdet-libra-bfp: embedded_gaussian, use_scale false, sub_sample false". */
export function settingsText(weights: NonLocalWeights): string {
  const d = weights.defaults;
  const family = weights.conventions?.family;
  return `${weights.convention}${family ? ` ${family}` : ''}: ${d.mode}${d.mode === 'embedded_gaussian' ? `, use_scale ${d.useScale}` : ''}, sub_sample ${d.subSample}`;
}
