/**
 * loadNonLocalWeights: a non-local block's weights from a safetensors state dict — a block alone or
 * inside a whole model — with the naming convention (mmcv / AlexHex7 / Caffe2), the mode and the
 * sub-sampling told by the keys. Anything missing or misshapen is an error that lists what was
 * expected and what the file holds.
 */
import { readSafetensorsAsync, type SafetensorsContents } from '../io/safetensors';
import { AFFINITIES, formatShape, isAffinity, type Affinity, type Tensor } from '../core/tensor';
import { typeError } from '../core/validation';
import { resolveConventions, type BlockFacts, type Convention, type ExplicitSettings } from './families';
import type { BatchNorm, Conv1x1, NonLocalWeights } from './weights';

export interface LoadNonLocalWeightsOptions {
  /**
   * Key prefix of the block inside a whole model, e.g. 'neck.refine.' or
   * 'backbone.layer2.1.non_local_block.' (Caffe2: the blob prefix, e.g. 'nonlocal_conv3_1_').
   * Default '': the block at the root — or, if the file holds exactly one block elsewhere, that one.
   */
  prefix?: string;
  /** The affinity, where the keys and the model family cannot tell (required for mmaction2's θ/φ blocks). */
  mode?: Affinity;
  /** Divide θ·φ by √C_inter (embedded Gaussian); default: the family's config, else the convention's default. */
  useScale?: boolean;
  /** Max-pool φ and g; default: what the keys tell. */
  subSample?: boolean;
}

/** An error in a weights file; `code` is stable, the message lists expected and found keys. */
export class WeightsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'WeightsError';
    this.code = code;
  }
}

/** How each convention names the key that every block has (g's weight), for prefix discovery. */
const MARKERS: [Convention, RegExp][] = [
  ['mmcv', /(^|\.)g\.(0\.)?conv\.weight$/],
  ['alexhex7', /(^|\.)g\.(0\.)?weight$/],
  ['caffe2', /(^|_)g_w$/],
];

/** Where one block's marker key stands. */
export interface BlockCandidate {
  convention: Convention;
  prefix: string;
}

function markerPrefix(name: string, convention: Convention): string {
  if (convention === 'caffe2') return name.slice(0, -'g_w'.length);
  return name.replace(/g\.(0\.)?(conv\.)?weight$/, '');
}

/** Every tensor name in the file, the non-float ones included. */
export function tensorNames(contents: SafetensorsContents): string[] {
  return [...contents.tensors.keys(), ...contents.skipped.map((s) => s.name)];
}

/** Every (convention, prefix) where a block's marker key stands. */
export function findBlocks(names: string[]): BlockCandidate[] {
  const found: BlockCandidate[] = [];
  for (const name of names) {
    for (const [convention, marker] of MARKERS) {
      if (!marker.test(name)) continue;
      const prefix = markerPrefix(name, convention);
      const confirm: Record<Convention, string[]> = {
        mmcv: ['conv_out.conv.weight'],
        alexhex7: ['W.0.weight', 'W.weight'],
        caffe2: ['out_w'],
      };
      if (confirm[convention].some((k) => names.includes(prefix + k))) found.push({ convention, prefix });
    }
  }
  return found;
}

function listNames(names: string[], limit = 24): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown}, … (${names.length} in all)` : shown || '(none)';
}

/** The block's tensors and what its keys say, before any setting is resolved. */
export interface ReadBlock {
  readonly parts: Parts;
  readonly facts: BlockFacts;
}

/** Reads the block at `candidate`: its tensors checked for shape, and the facts its keys tell. */
export function readBlock(contents: SafetensorsContents, candidate: BlockCandidate, source: string): ReadBlock {
  const reader = new KeyReader(contents, candidate.prefix, source);
  const eps = bnEps(contents.metadata, source);
  const read = candidate.convention === 'mmcv' ? readMmcv(reader, eps) : candidate.convention === 'alexhex7' ? readAlexHex7(reader, eps) : readCaffe2(reader, eps);
  const { parts } = read;
  return {
    parts,
    facts: {
      convention: candidate.convention,
      prefix: candidate.prefix,
      inChannels: parts.inChannels,
      interChannels: parts.interChannels,
      dims: parts.dims,
      hasTheta: parts.theta !== null,
      hasConcat: parts.concatProject !== null,
      subSampledKeys: read.subSampledKeys,
    },
  };
}

function bnEps(metadata: Record<string, string>, source: string): number {
  const eps = metadata['bn_eps'] !== undefined ? Number(metadata['bn_eps']) : 1e-5;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new WeightsError('WEIGHTS_BAD_METADATA', `${source}: __metadata__.bn_eps must be a number ≥ 0, got '${metadata['bn_eps']}'`);
  return eps;
}

/** The settings the caller passed, then those in the file's __metadata__ (mode, use_scale). */
export function explicitSettings(metadata: Record<string, string>, options: LoadNonLocalWeightsOptions): ExplicitSettings {
  const metaMode = metadata['mode'];
  const metaScale = metadata['use_scale'];
  const settings: { -readonly [K in keyof ExplicitSettings]: ExplicitSettings[K] } = {};
  if (options.mode !== undefined) settings.mode = { value: options.mode, kind: 'option' };
  else if (isAffinity(metaMode)) settings.mode = { value: metaMode, kind: 'metadata' };
  if (options.useScale !== undefined) settings.useScale = { value: options.useScale, kind: 'option' };
  else if (metaScale === 'true' || metaScale === 'false') settings.useScale = { value: metaScale === 'true', kind: 'metadata' };
  if (options.subSample !== undefined) settings.subSample = { value: options.subSample, kind: 'option' };
  return settings;
}

function checkOptions(options: LoadNonLocalWeightsOptions): void {
  if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw typeError('options.prefix', 'a string', options.prefix);
  if (options.mode !== undefined && !isAffinity(options.mode)) throw typeError('options.mode', `one of ${AFFINITIES.map((a) => `'${a}'`).join(', ')}`, options.mode);
  for (const key of ['useScale', 'subSample'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') throw typeError(`options.${key}`, 'a boolean', options[key]);
  }
}

/**
 * Builds NonLocalWeights from a state dict already in memory (what loadNonLocalWeights does after
 * reading the file). `source` names the file in messages.
 */
export function weightsFromStateDict(contents: SafetensorsContents, options: LoadNonLocalWeightsOptions = {}, source = '<state dict>'): NonLocalWeights {
  checkOptions(options);
  const prefixIn = options.prefix ?? '';
  const all = tensorNames(contents);
  const blocks = findBlocks(all);
  let chosen = blocks.filter((b) => b.prefix === prefixIn);
  if (chosen.length === 0 && options.prefix === undefined && blocks.length === 1) chosen = blocks;
  if (chosen.length === 0) {
    const where = blocks.length === 0
      ? 'the file holds no non-local block (no g.conv.weight, g.weight or *_g_w key)'
      : `blocks were found at prefix${blocks.length > 1 ? 'es' : ''} ${blocks.map((b) => `'${b.prefix}' (${b.convention})`).join(', ')}`;
    const what = options.prefix === undefined && blocks.length > 1 ? 'the file holds several blocks: pass { prefix }' : `no non-local block at prefix '${prefixIn}'`;
    throw new WeightsError('WEIGHTS_NO_BLOCK', `${source}: ${what}; ${where}. Keys in the file: ${listNames(all)}`);
  }
  if (chosen.length > 1) {
    throw new WeightsError('WEIGHTS_AMBIGUOUS', `${source}: prefix '${prefixIn}' matches blocks of several conventions (${chosen.map((c) => c.convention).join(', ')})`);
  }
  const { parts, facts } = readBlock(contents, chosen[0], source);
  const resolved = resolveConventions(facts, explicitSettings(contents.metadata, options));
  if (!resolved.ok) {
    throw new WeightsError('WEIGHTS_AMBIGUOUS', `${source}: the block at '${facts.prefix}' is ${resolved.title} (${resolved.source}), and that family ships ${resolved.choices.join(' and ')} checkpoints with identical keys: pass ${resolved.choices.map((m) => `{ mode: '${m}' }`).join(' or ')} (CLI: --mode ${resolved.choices.join(' | ')})`);
  }
  const c = resolved.conventions;
  return { ...parts, convention: facts.convention, conventions: c, defaults: { mode: c.mode, useScale: c.useScale, subSample: c.subSample, poolBeforeConv: c.poolBeforeConv } };
}

/**
 * Reads a safetensors file holding a non-local block's state dict (alone, or inside a whole model:
 * select the block with `prefix`) and detects its convention, mode and sub-sampling.
 *
 * @param path a .safetensors file
 * @param options prefix: the block's key prefix; mode, useScale, subSample: settings that win over
 *   what the keys and the model family imply
 * @returns the weights, with `conventions` (the recognised family, each setting and its source) and
 *   `defaults` (the settings nonLocalBlock uses unless its options say otherwise)
 * @throws {WeightsError} missing or misshapen keys, non-float dtypes, a prefix that matches nothing
 *   (the message lists the prefixes that would), WEIGHTS_AMBIGUOUS where the family ships several
 *   modes with the same keys and no mode was passed
 * @example const w = await loadNonLocalWeights('libra.safetensors', { prefix: 'neck.refine.' });
 */
export async function loadNonLocalWeights(path: string, options: LoadNonLocalWeightsOptions = {}): Promise<NonLocalWeights> {
  if (typeof path !== 'string') throw typeError('path', 'a string', path);
  checkOptions(options);
  return weightsFromStateDict(await readSafetensorsAsync(path), options, path);
}

/** Key lookups under one prefix, with shape checks and messages that say what the file holds. */
class KeyReader {
  constructor(private readonly contents: SafetensorsContents, readonly prefix: string, private readonly source: string) {}

  has(key: string): boolean {
    return this.contents.tensors.has(this.prefix + key) || this.contents.skipped.some((s) => s.name === this.prefix + key);
  }

  /** Keys under the prefix, for messages. */
  present(): string[] {
    const names = [...this.contents.tensors.keys(), ...this.contents.skipped.map((s) => s.name)];
    return names.filter((n) => n.startsWith(this.prefix)).map((n) => n.slice(this.prefix.length));
  }

  tensor(key: string): Tensor {
    const full = this.prefix + key;
    const t = this.contents.tensors.get(full);
    if (t !== undefined) return t;
    const skipped = this.contents.skipped.find((s) => s.name === full);
    if (skipped) {
      throw new WeightsError('WEIGHTS_BAD_DTYPE', `${this.source}: '${full}' has dtype ${skipped.dtype} ${formatShape(skipped.shape)}; a block's weights must be F32 (or F16/BF16/F64, converted)`);
    }
    throw new WeightsError('WEIGHTS_MISSING_KEY', `${this.source}: missing '${full}'. Keys under prefix '${this.prefix}': ${listNames(this.present())}`);
  }

  optional(key: string): Tensor | null {
    return this.has(key) ? this.tensor(key) : null;
  }

  /** A 1×1 convolution weight [out, in, 1, …]: returns the data and (out, in, spatial rank). */
  conv(weightKey: string, biasKey: string | null): { conv: Conv1x1; out: number; in: number; dims: number } {
    const w = this.tensor(weightKey);
    const s = w.shape;
    if (s.length < 3 || s.length > 5 || s.slice(2).some((d) => d !== 1)) {
      throw new WeightsError('WEIGHTS_BAD_SHAPE', `${this.source}: '${this.prefix + weightKey}' must be a 1×1 convolution weight [out, in, 1(, 1(, 1))], got ${formatShape(s)}`);
    }
    let bias: Float32Array | null = null;
    if (biasKey !== null && this.has(biasKey)) {
      const b = this.tensor(biasKey);
      if (b.shape.length !== 1 || b.shape[0] !== s[0]) {
        throw new WeightsError('WEIGHTS_BAD_SHAPE', `${this.source}: '${this.prefix + biasKey}' must have shape [${s[0]}] to match '${this.prefix + weightKey}' ${formatShape(s)}, got ${formatShape(b.shape)}`);
      }
      bias = b.data;
    }
    return { conv: { weight: w.data, bias }, out: s[0], in: s[1], dims: s.length - 2 };
  }

  vector(key: string, length: number): Float32Array {
    const t = this.tensor(key);
    if (t.data.length !== length || t.shape.length !== 1) {
      throw new WeightsError('WEIGHTS_BAD_SHAPE', `${this.source}: '${this.prefix + key}' must have shape [${length}], got ${formatShape(t.shape)}`);
    }
    return t.data;
  }

  batchNorm(names: [string, string, string, string], channels: number, eps: number): BatchNorm {
    const [weight, bias, runningMean, runningVar] = names.map((n) => this.vector(n, channels));
    return { weight, bias, runningMean, runningVar, eps };
  }

  fail(message: string): never {
    throw new WeightsError('WEIGHTS_BAD_SHAPE', `${this.source}: ${message} (keys under prefix '${this.prefix}': ${listNames(this.present())})`);
  }
}

/** A block's tensors, before its settings are resolved. */
export type Parts = Omit<NonLocalWeights, 'convention' | 'conventions' | 'defaults'>;

/** θ/φ/g/out shapes must agree: g [Ci, C], θ/φ [Ci, C], out [C, Ci], all of one spatial rank. */
function assemble(r: KeyReader, parts: {
  g: ReturnType<KeyReader['conv']>;
  theta: ReturnType<KeyReader['conv']> | null;
  phi: ReturnType<KeyReader['conv']> | null;
  out: ReturnType<KeyReader['conv']>;
  bn: BatchNorm | null;
  concat: Tensor | null;
}): Parts {
  const C = parts.g.in;
  const Ci = parts.g.out;
  for (const [name, p] of [['theta', parts.theta], ['phi', parts.phi]] as const) {
    if (p !== null && (p.in !== C || p.out !== Ci || p.dims !== parts.g.dims)) r.fail(`${name} must be [${Ci}, ${C}, 1…] like g, got [${p.out}, ${p.in}] with ${p.dims} kernel dims`);
  }
  if (parts.out.in !== Ci || parts.out.out !== C || parts.out.dims !== parts.g.dims) r.fail(`the output convolution must be [${C}, ${Ci}, 1…], got [${parts.out.out}, ${parts.out.in}]`);
  if (parts.concat !== null && (parts.concat.data.length !== 2 * Ci || parts.concat.shape[0] !== 1)) {
    r.fail(`concat_project's weight must be [1, ${2 * Ci}, 1, 1], got ${formatShape(parts.concat.shape)}`);
  }
  return {
    inChannels: C,
    interChannels: Ci,
    dims: parts.g.dims as 1 | 2 | 3,
    theta: parts.theta?.conv ?? null,
    phi: parts.phi?.conv ?? null,
    g: parts.g.conv,
    out: parts.out.conv,
    bn: parts.bn,
    concatProject: parts.concat?.data ?? null,
  };
}

/**
 * θ, φ and g as mmcv and AlexHex7 name them: `<name>.<inner>weight`, or `<name>.0.<inner>weight`
 * for g and φ when sub-sampling wrapped them in Sequential(conv, pool); no θ → a gaussian block.
 */
function readProjections(r: KeyReader, inner: string) {
  const sub = r.has(`g.0.${inner}weight`);
  const key = (name: string, pooled: boolean) => `${name}.${pooled && sub ? '0.' : ''}${inner}`;
  const g = r.conv(`${key('g', true)}weight`, `${key('g', true)}bias`);
  const hasTheta = r.has(`${key('theta', false)}weight`);
  const theta = hasTheta ? r.conv(`${key('theta', false)}weight`, `${key('theta', false)}bias`) : null;
  const phi = hasTheta ? r.conv(`${key('phi', true)}weight`, `${key('phi', true)}bias`) : null;
  return { sub, g, theta, phi };
}

/** mmcv NonLocal1d/2d/3d: g.conv.*, theta.conv.*, phi.conv.*, conv_out.conv.* (+ conv_out.bn.*), concat_project.conv.weight; sub_sample → g.0.conv.*, phi.0.conv.*. */
function readMmcv(r: KeyReader, eps: number): { parts: Parts; subSampledKeys: boolean } {
  const { sub, g, theta, phi } = readProjections(r, 'conv.');
  const out = r.conv('conv_out.conv.weight', 'conv_out.conv.bias');
  const otherNorm = r.present().find((k) => /^conv_out\.(gn|ln|in)\./.test(k));
  if (otherNorm !== undefined) r.fail(`'${r.prefix + otherNorm}': only BatchNorm (conv_out.bn.*) is supported after conv_out`);
  const bn = r.has('conv_out.bn.weight')
    ? r.batchNorm(['conv_out.bn.weight', 'conv_out.bn.bias', 'conv_out.bn.running_mean', 'conv_out.bn.running_var'], out.out, eps)
    : null;
  const concat = r.optional('concat_project.conv.weight');
  return { parts: assemble(r, { g, theta, phi, out, bn, concat }), subSampledKeys: sub };
}

/** AlexHex7 NONLocalBlock{1,2,3}D: g.*, theta.*, phi.*, W.0.* + W.1.* (BatchNorm) or W.*, concat_project.0.weight. */
function readAlexHex7(r: KeyReader, eps: number): { parts: Parts; subSampledKeys: boolean } {
  const { sub, g, theta, phi } = readProjections(r, '');
  const withBn = r.has('W.0.weight');
  const out = withBn ? r.conv('W.0.weight', 'W.0.bias') : r.conv('W.weight', 'W.bias');
  const bn = withBn ? r.batchNorm(['W.1.weight', 'W.1.bias', 'W.1.running_mean', 'W.1.running_var'], out.out, eps) : null;
  const concat = r.optional('concat_project.0.weight');
  return { parts: assemble(r, { g, theta, phi, out, bn, concat }), subSampledKeys: sub };
}

/** Caffe2 video-nonlocal-net blobs {prefix}theta_w/_b, phi_w/_b, g_w/_b, out_w/_b, bn_s/_b/_rm/_riv (riv = running variance). */
function readCaffe2(r: KeyReader, eps: number): { parts: Parts; subSampledKeys: boolean } {
  const g = r.conv('g_w', 'g_b');
  const theta = r.conv('theta_w', 'theta_b');
  const phi = r.conv('phi_w', 'phi_b');
  const out = r.conv('out_w', 'out_b');
  const bn = r.has('bn_s') ? r.batchNorm(['bn_s', 'bn_b', 'bn_rm', 'bn_riv'], out.out, eps) : null;
  // The blob names carry no pooling; the Caffe2 graph always pools before φ and g (families.ts).
  return { parts: assemble(r, { g, theta, phi, out, bn, concat: null }), subSampledKeys: true };
}
