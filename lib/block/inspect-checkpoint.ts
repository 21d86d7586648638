/**
 * inspectCheckpoint: every non-local block in a safetensors file with what the loader would infer
 * for it — naming convention, model family, sizes, each setting and where it came from — without
 * failing on the first block that cannot load, so a whole detector or video model can be looked
 * into before anything runs.
 */
import { readSafetensorsAsync, type SafetensorsContents, type SkippedTensor } from '../io/safetensors';
import type { Affinity } from '../core/tensor';
import { typeError } from '../core/validation';
import { resolveConventions, type CheckpointFamily, type Convention, type SettingOrigin } from './families';
import { explicitSettings, findBlocks, readBlock, tensorNames, WeightsError } from './load-weights';

/** One block as the loader sees it. `mode` is null where the family leaves it to the caller (`modeChoices`). */
export interface CheckpointBlock {
  readonly prefix: string;
  readonly convention: Convention;
  readonly family: CheckpointFamily | null;
  /** what identified the family, or which defaults apply */
  readonly source: string;
  readonly inChannels: number;
  readonly interChannels: number;
  readonly dims: 1 | 2 | 3 | null;
  readonly batchNorm: boolean;
  readonly mode: Affinity | null;
  /** the modes to choose from when `mode` is null (pass { mode } / --mode), else [] */
  readonly modeChoices: readonly Affinity[];
  readonly useScale: boolean;
  readonly subSample: boolean;
  readonly poolBeforeConv: boolean;
  /** where each setting came from (mode: null while it is ambiguous) */
  readonly from: { readonly mode: SettingOrigin | null; readonly useScale: SettingOrigin; readonly subSample: SettingOrigin; readonly poolBeforeConv: SettingOrigin };
  /** the block's tensors that are not floating point (BatchNorm's num_batches_tracked, …): not used */
  readonly skipped: readonly SkippedTensor[];
}

/** A block whose tensors cannot be used, with the loader's error. */
export interface CheckpointBlockError {
  readonly prefix: string;
  readonly convention: Convention;
  readonly error: { readonly code: string; readonly message: string };
}

export interface CheckpointReport {
  readonly path: string;
  /** every tensor in the file, non-float ones included */
  readonly tensors: number;
  readonly blocks: readonly (CheckpointBlock | CheckpointBlockError)[];
  /** tensors under no block's prefix (the rest of the model) */
  readonly otherTensors: number;
}

/** Describes every block of a state dict already in memory (what inspectCheckpoint does after reading). */
export function inspectStateDict(contents: SafetensorsContents, source = '<state dict>'): CheckpointReport {
  const names = tensorNames(contents);
  const candidates = findBlocks(names);
  const blocks = candidates.map((candidate): CheckpointBlock | CheckpointBlockError => {
    try {
      const { parts, facts } = readBlock(contents, candidate, source);
      const resolved = resolveConventions(facts, explicitSettings(contents.metadata, {}));
      const base = resolved.ok ? resolved.conventions : resolved.partial;
      return {
        prefix: candidate.prefix,
        convention: candidate.convention,
        family: base.family,
        source: base.source,
        inChannels: parts.inChannels,
        interChannels: parts.interChannels,
        dims: parts.dims,
        batchNorm: parts.bn !== null,
        mode: resolved.ok ? resolved.conventions.mode : null,
        modeChoices: resolved.ok ? [] : resolved.choices,
        useScale: base.useScale,
        subSample: base.subSample,
        poolBeforeConv: base.poolBeforeConv,
        from: resolved.ok ? resolved.conventions.from : { mode: null, ...resolved.partial.from },
        skipped: contents.skipped.filter((s) => s.name.startsWith(candidate.prefix)),
      };
    } catch (error) {
      if (!(error instanceof WeightsError)) throw error;
      return { prefix: candidate.prefix, convention: candidate.convention, error: { code: error.code, message: error.message } };
    }
  });
  const otherTensors = names.filter((n) => !candidates.some((c) => n.startsWith(c.prefix))).length;
  return { path: source, tensors: names.length, blocks, otherTensors };
}

/**
 * Reads a safetensors file and describes every non-local block in it (see CheckpointReport).
 *
 * @param path a .safetensors file
 * @returns the blocks, each with its settings and their sources, or the error that keeps it from loading
 * @throws {IoFormatError} the file is not a readable safetensors file
 * @example for (const b of (await inspectCheckpoint('i3d.safetensors')).blocks) console.log(b.prefix);
 */
export async function inspectCheckpoint(path: string): Promise<CheckpointReport> {
  if (typeof path !== 'string') throw typeError('path', 'a string', path);
  return inspectStateDict(await readSafetensorsAsync(path), path);
}
