/**
 * Whole models of the families the loader recognises (tools/make-torch-fixtures.py builds them
 * from PyTorch modules named as mmdet's BFP, mmaction2's ResNet3d / TSM and mmseg's NLHead name
 * theirs): every block, loaded with only { prefix } — plus { mode } where the family ships
 * several modes with the same keys — must match PyTorch within 1e-4 on every kernel, and what the
 * loader inferred must say where each setting came from. inspectCheckpoint must show the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { inspectCheckpoint, loadNonLocalWeights, nonLocalBlock, readNpy, WeightsError, type Affinity, type CheckpointBlock } from '../../lib/index';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { maxAbsDiff } from '../support/oracle';

interface FamilyBlock {
  prefix: string;
  x: string;
  z: string;
  mode: Affinity;
  mode_required: boolean;
  in_channels: number;
  inter_channels: number;
  dims: number;
  sub_sample: boolean;
  use_scale: boolean;
  norm: 'bn' | null;
  checks: { wrong_mmcv_defaults?: number };
}
interface FamilyFixture {
  name: string;
  family: string;
  blocks: FamilyBlock[];
}

const root = path.join(__dirname, '..', 'fixtures', 'block');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { families: FamilyFixture[] };
const TOLERANCE = 1e-4;


const weightsFile = (f: FamilyFixture) => path.join(root, f.name, 'weights.safetensors');
/** Only what the issue allows a user to pass: the prefix, and the mode where the family requires it. */
const minimalOptions = (b: FamilyBlock) => (b.mode_required ? { prefix: b.prefix, mode: b.mode } : { prefix: b.prefix });

test('the families cover Libra (plain and list neck), mmaction2 (I3D with 3 blocks, TSM, gaussian) and mmseg', () => {
  const byFamily = (family: string) => manifest.families.filter((f) => f.family === family);
  expect(byFamily('mmdet-libra-bfp').map((f) => f.blocks[0].prefix).sort()).toEqual(['neck.1.refine.', 'neck.refine.']);
  const i3d = manifest.families.find((f) => f.name === 'family_mmaction2_i3d_nl')!;
  expect(i3d.blocks.map((b) => b.prefix)).toEqual(['backbone.layer2.1.non_local_block.', 'backbone.layer2.3.non_local_block.', 'backbone.layer3.1.non_local_block.']);
  expect(byFamily('mmaction2-resnet3d').map((f) => f.blocks[0].mode).sort()).toEqual(['dot_product', 'embedded_gaussian', 'gaussian']);
  expect(byFamily('mmseg-nlhead')[0].blocks[0].prefix).toBe('decode_head.nl_block.');
});

describe.each(manifest.families.map((f) => [f.name, f] as const))('%s', (_name, f) => {
  describe.each(f.blocks.map((b) => [b.prefix, b] as const))('block %s', (_prefix, b) => {
    test('the loader recognises the family and its settings from the key path', async () => {
      const w = await loadNonLocalWeights(weightsFile(f), minimalOptions(b));
      expect(w.conventions?.family).toBe(f.family);
      expect([w.inChannels, w.interChannels, w.dims, w.bn !== null]).toEqual([b.in_channels, b.inter_channels, b.dims, b.norm === 'bn']);
      expect(w.defaults).toEqual({ mode: b.mode, useScale: w.defaults.useScale, subSample: b.sub_sample, poolBeforeConv: false });
      if (b.mode === 'embedded_gaussian') expect(w.defaults.useScale).toBe(b.use_scale);
      expect(w.conventions?.from.mode.kind).toBe(b.mode_required ? 'option' : b.mode === 'gaussian' ? 'keys' : 'family');
      expect(w.conventions?.from.useScale.kind).toBe('family');
      expect(w.conventions?.source).toMatch(/^key path /);
    });

    test.each(SUPPORTED_ISAS)(`matches PyTorch within ${TOLERANCE} with no option but the prefix (and mode) on the %s kernel`, async (isa) => {
      const w = await loadNonLocalWeights(weightsFile(f), minimalOptions(b));
      const x = readNpy(path.join(root, f.name, b.x));
      const z = readNpy(path.join(root, f.name, b.z));
      useIsa(isa);
      try {
        expect(maxAbsDiff(nonLocalBlock(x, w).data, z.data)).toBeLessThanOrEqual(TOLERANCE);
      } finally {
        restoreIsa();
      }
    });

    if (b.mode_required) {
      test('without { mode } the loader refuses to guess: WEIGHTS_AMBIGUOUS names the choices and the option', async () => {
        const error = await loadNonLocalWeights(weightsFile(f), { prefix: b.prefix }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WeightsError);
        expect(error).toMatchObject({ code: 'WEIGHTS_AMBIGUOUS' });
        expect((error as Error).message).toContain(`the block at '${b.prefix}' is an mmaction2 ResNet3d / TSM non-local block (key path backbone.layerN.M.non_local_block.)`);
        expect((error as Error).message).toContain("pass { mode: 'embedded_gaussian' } or { mode: 'dot_product' } (CLI: --mode embedded_gaussian | dot_product)");
      });
    }

    if ((b.checks.wrong_mmcv_defaults ?? 0) > 0.05) {
      test('mmcv\'s defaults would be visibly wrong here (the family matters)', async () => {
        const w = await loadNonLocalWeights(weightsFile(f), minimalOptions(b));
        const x = readNpy(path.join(root, f.name, b.x));
        const z = readNpy(path.join(root, f.name, b.z));
        const wrong = nonLocalBlock(x, w, { mode: 'embedded_gaussian', useScale: true });
        expect(maxAbsDiff(wrong.data, z.data)).toBeGreaterThan(0.05);
      });
    }
  });

  test('inspectCheckpoint lists every block with the same settings, and what it left out', async () => {
    const report = await inspectCheckpoint(weightsFile(f));
    const blocks = report.blocks as CheckpointBlock[];
    expect(blocks.map((b) => b.prefix).sort()).toEqual(f.blocks.map((b) => b.prefix).sort());
    for (const b of f.blocks) {
      const seen = blocks.find((s) => s.prefix === b.prefix)!;
      expect(seen).toMatchObject({ convention: 'mmcv', family: f.family, inChannels: b.in_channels, interChannels: b.inter_channels, subSample: b.sub_sample, batchNorm: b.norm === 'bn' });
      if (b.mode_required) {
        expect([seen.mode, seen.modeChoices, seen.from.mode]).toEqual([null, ['embedded_gaussian', 'dot_product'], null]);
      } else {
        expect([seen.mode, seen.modeChoices]).toEqual([b.mode, []]);
      }
      // BatchNorm's num_batches_tracked (I64) is reported as skipped, not silently dropped.
      expect(seen.skipped.map((s) => s.name)).toEqual(b.norm === 'bn' ? [`${b.prefix}conv_out.bn.num_batches_tracked`] : []);
    }
    expect(report.otherTensors).toBeGreaterThan(0);
  });
});
