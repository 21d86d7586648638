/**
 * The model families whose non-local blocks the loader recognises from where a block sits in a
 * state dict, and the settings each family's published configs use. The keys of an mmcv block say
 * what it computes only in part: θ present without concat_project may be embedded Gaussian or dot
 * product, and nothing in them says use_scale. So where a key path identifies a known model, its
 * configs decide; where it does not, the library default applies and the result says so.
 * (The configs cited here are listed in docs/checkpoints.md.)
 */
import type { Affinity } from '../core/tensor';

/** How a checkpoint names a block's tensors. */
export type Convention = 'mmcv' | 'alexhex7' | 'caffe2';

export type CheckpointFamily = 'mmdet-libra-bfp' | 'mmaction2-resnet3d' | 'mmseg-nlhead' | 'caffe2-video-nonlocal' | 'alexhex7';

/** Where a setting came from, strongest first: the caller, the file's __metadata__, the keys, a family's config, a library default. */
export type SettingKind = 'option' | 'metadata' | 'keys' | 'family' | 'default';

export interface SettingOrigin {
  readonly kind: SettingKind;
  /** e.g. "mmaction2 configs/recognition/i3d/*nl*.py: non_local_cfg use_scale=False" */
  readonly detail: string;
}

/** What the loader inferred about a block's settings, and from what. */
export interface WeightsConventions {
  /** the recognised model family, or null when none matched (the naming convention's defaults apply) */
  readonly family: CheckpointFamily | null;
  /** what identified the family ('key path neck.refine.'), or which defaults apply ('mmcv default') */
  readonly source: string;
  readonly mode: Affinity;
  readonly useScale: boolean;
  readonly subSample: boolean;
  readonly poolBeforeConv: boolean;
  readonly from: { readonly mode: SettingOrigin; readonly useScale: SettingOrigin; readonly subSample: SettingOrigin; readonly poolBeforeConv: SettingOrigin };
}

/** What the keys of one block say, for recognising its family. */
export interface BlockFacts {
  readonly convention: Convention;
  readonly prefix: string;
  readonly inChannels: number;
  readonly interChannels: number;
  readonly dims: 1 | 2 | 3 | null;
  readonly hasTheta: boolean;
  readonly hasConcat: boolean;
  /** g (and φ) wrapped in Sequential(conv, pool) */
  readonly subSampledKeys: boolean;
}

interface Family {
  readonly family: CheckpointFamily;
  /** for messages: 'an mmaction2 ResNet3d / TSM non-local block' */
  readonly title: string;
  /** how the key path is described in `source` */
  readonly keyPath: string;
  matches(facts: BlockFacts): boolean;
  /** the family's settings with their citations (sub-sampling is always the keys'); a missing mode means the keys decide */
  readonly useScale: readonly [boolean, string];
  readonly mode?: readonly [Affinity, string];
  /** when θ is present without concat_project, the modes this family ships with identical keys */
  readonly ambiguousModes?: readonly Affinity[];
}

/** A prefix ending in `path`, optionally under a wrapper such as DataParallel's 'module.'. */
const underAnyPrefix = (path: string): RegExp => new RegExp(`^(?:.+\\.)?${path}$`);

const FAMILIES: readonly Family[] = [
  {
    family: 'mmdet-libra-bfp',
    title: 'an mmdetection Libra R-CNN BFP refine block',
    keyPath: 'neck.refine. / neck.N.refine.',
    // BFP builds NonLocal2d(in_channels, reduction=1, …): C_inter = C, 2-D kernels.
    matches: (f) => f.convention === 'mmcv' && underAnyPrefix('neck\\.(?:\\d+\\.)?refine\\.').test(f.prefix) && f.dims === 2 && f.interChannels === f.inChannels,
    useScale: [false, 'mmdet mmdet/models/necks/bfp.py: NonLocal2d(in_channels, reduction=1, use_scale=False)'],
    mode: ['embedded_gaussian', 'mmdet mmdet/models/necks/bfp.py: NonLocal2d default mode embedded_gaussian'],
  },
  {
    family: 'mmaction2-resnet3d',
    title: 'an mmaction2 ResNet3d / TSM non-local block',
    keyPath: 'backbone.layerN.M.non_local_block.',
    matches: (f) => f.convention === 'mmcv' && underAnyPrefix('backbone\\.layer\\d+\\.\\d+\\.non_local_block\\.').test(f.prefix) && f.dims === 3,
    useScale: [false, 'mmaction2 configs/recognition/{i3d,tsm}/*nl*.py: non_local_cfg use_scale=False'],
    ambiguousModes: ['embedded_gaussian', 'dot_product'],
  },
  {
    family: 'mmseg-nlhead',
    title: 'an mmsegmentation NLHead block',
    keyPath: 'decode_head.nl_block.',
    matches: (f) => f.convention === 'mmcv' && underAnyPrefix('decode_head\\.nl_block\\.').test(f.prefix) && f.dims === 2,
    useScale: [true, 'mmseg configs/_base_/models/nonlocal_r50-d8.py: decode_head use_scale=True'],
    mode: ['embedded_gaussian', "mmseg configs/_base_/models/nonlocal_r50-d8.py: decode_head mode='embedded_gaussian'"],
  },
  {
    family: 'caffe2-video-nonlocal',
    title: 'a Caffe2 video-nonlocal-net block',
    keyPath: 'Caffe2 blob names *_g_w, *_out_w',
    matches: (f) => f.convention === 'caffe2',
    useScale: [true, 'video-nonlocal-net lib/core/config.py: NONLOCAL.USE_SCALE True'],
    mode: ['embedded_gaussian', 'video-nonlocal-net lib/core/config.py: NONLOCAL.USE_SOFTMAX True'],
  },
  {
    family: 'alexhex7',
    title: 'an AlexHex7 Non-local_pytorch block',
    keyPath: 'AlexHex7 names g.*, W.*',
    matches: (f) => f.convention === 'alexhex7',
    useScale: [false, 'AlexHex7 lib/non_local_*.py: f = θᵀφ, never scaled'],
  },
];

/** The naming convention's own defaults, used when no family matched (and for what a family leaves open). */
const CONVENTION_DEFAULTS: Record<Convention, { useScale: readonly [boolean, string]; mode: string }> = {
  mmcv: { useScale: [true, 'mmcv default: NonLocal2d use_scale=True'], mode: "mmcv default: mode='embedded_gaussian'" },
  alexhex7: { useScale: [false, 'AlexHex7: never scaled'], mode: 'AlexHex7 default: lib/non_local_embedded_gaussian.py (dot_product has the same keys)' },
  caffe2: { useScale: [true, 'Caffe2 default'], mode: 'Caffe2 default' },
};

/** The settings a caller (or the file's __metadata__) fixed; undefined leaves them to the keys and the family. */
export interface ExplicitSettings {
  readonly mode?: { value: Affinity; kind: 'option' | 'metadata' };
  readonly useScale?: { value: boolean; kind: 'option' | 'metadata' };
  readonly subSample?: { value: boolean; kind: 'option' | 'metadata' };
}

export type Resolved =
  | { readonly ok: true; readonly conventions: WeightsConventions }
  /** the keys and the family leave the mode open: the caller must choose among `choices` */
  | { readonly ok: false; readonly family: CheckpointFamily; readonly title: string; readonly source: string; readonly choices: readonly Affinity[]; readonly partial: Omit<WeightsConventions, 'mode' | 'from'> & { readonly from: Omit<WeightsConventions['from'], 'mode'> } };

/**
 * Each setting from the strongest source that has it: an explicit setting (caller or metadata),
 * then what the keys tell, then the recognised family's config, then the convention's default.
 */
export function resolveConventions(facts: BlockFacts, explicit: ExplicitSettings): Resolved {
  const family = FAMILIES.find((f) => f.matches(facts)) ?? null;
  const defaults = CONVENTION_DEFAULTS[facts.convention];
  const source = family === null ? `${facts.convention} default` : `key path ${family.keyPath}`;
  const fromFamily = (detail: string): SettingOrigin => ({ kind: 'family', detail });
  const pick = <T>(given: { value: T; kind: 'option' | 'metadata' } | undefined, fallback: [T, SettingOrigin]): [T, SettingOrigin] =>
    given !== undefined ? [given.value, { kind: given.kind, detail: given.kind === 'option' ? 'passed by the caller' : 'the file\'s __metadata__' }] : fallback;

  const [useScale, useScaleFrom] = pick(explicit.useScale, family !== null
    ? [family.useScale[0], fromFamily(family.useScale[1])]
    : [defaults.useScale[0], { kind: 'default', detail: defaults.useScale[1] }]);

  // Caffe2 blob names carry no pooling: its graph always max-pools, before the φ and g convolutions.
  const poolBeforeConv = facts.convention === 'caffe2';
  const [subSample, subSampleFrom] = pick(explicit.subSample, poolBeforeConv
    ? [true, fromFamily('video-nonlocal-net lib/models/nonlocal_helper.py: max-pool before φ and g (NONLOCAL.USE_MAXPOOL True)')]
    : [facts.subSampledKeys, { kind: 'keys', detail: facts.subSampledKeys ? 'g.0.* / phi.0.* keys: Sequential(conv, max-pool)' : 'no g.0.* key: no pooling' }]);
  const poolFrom: SettingOrigin = poolBeforeConv
    ? fromFamily('video-nonlocal-net lib/models/nonlocal_helper.py: pool, then the φ and g convolutions')
    : { kind: 'keys', detail: 'convolution, then pool (Sequential(conv, pool))' };

  const from = { useScale: useScaleFrom, subSample: subSampleFrom, poolBeforeConv: poolFrom };
  const partial = { family: family?.family ?? null, source, useScale, subSample, poolBeforeConv };
  const done = (mode: Affinity, modeFrom: SettingOrigin): Resolved => ({ ok: true, conventions: { ...partial, mode, from: { mode: modeFrom, ...from } } });
  if (explicit.mode !== undefined) return done(explicit.mode.value, { kind: explicit.mode.kind, detail: explicit.mode.kind === 'option' ? 'passed by the caller' : 'the file\'s __metadata__' });
  if (facts.hasConcat) return done('concatenation', { kind: 'keys', detail: 'concat_project key' });
  if (!facts.hasTheta) return done('gaussian', { kind: 'keys', detail: 'no theta / phi keys' });
  if (family?.mode !== undefined) return done(family.mode[0], fromFamily(family.mode[1]));
  if (family?.ambiguousModes !== undefined) {
    return { ok: false, family: family.family, title: family.title, source, choices: family.ambiguousModes, partial: { ...partial, family: family.family, from } };
  }
  return done('embedded_gaussian', { kind: 'default', detail: defaults.mode });
}
