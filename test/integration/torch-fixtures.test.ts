/**
 * Real PyTorch checkpoints: tools/make-torch-fixtures.py builds mmcv, AlexHex7 and Caffe2 non-local
 * blocks (every mode, 1D/2D/3D, with and without sub-sampling and BatchNorm, batch 2) with random
 * weights and running statistics, runs them in eval mode and saves x, the state dict and z. Here
 * each one goes through the public API — loadNonLocalWeights, readNpy, nonLocalBlock — on every
 * kernel the CPU supports, and must match PyTorch's z within 1e-4 (max abs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { loadNonLocalWeights, nonLocalBlock, nonLocalBlockAsync, readNpy, reference } from '../../lib/index';
import { AFFINITIES, type Affinity } from '../../lib/core/tensor';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { maxAbsDiff } from '../support/oracle';

interface Fixture {
  name: string;
  convention: 'mmcv' | 'alexhex7' | 'caffe2';
  mode: Affinity;
  dims: 1 | 2 | 3;
  x_shape: number[];
  in_channels: number;
  inter_channels: number;
  sub_sample: boolean;
  pool_before_conv: boolean;
  use_scale: boolean;
  norm: 'bn' | null;
  prefix: string;
}

const root = path.join(__dirname, '..', 'fixtures', 'block');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { tolerance_max_abs: number; fixtures: Fixture[] };
const TOLERANCE = 1e-4;


async function load(f: Fixture) {
  const dir = path.join(root, f.name);
  const weights = await loadNonLocalWeights(path.join(dir, 'weights.safetensors'), f.prefix ? { prefix: f.prefix } : {});
  return { weights, x: readNpy(path.join(dir, 'x.npy')), z: readNpy(path.join(dir, 'z.npy')) };
}

test('the manifest covers every convention, mode and dimensionality', () => {
  const seen = new Set(manifest.fixtures.map((f) => `${f.convention}/${f.mode}/${f.dims}`));
  for (const convention of ['mmcv', 'alexhex7'])
    for (const mode of AFFINITIES)
      for (const dims of [1, 2, 3]) expect(seen).toContain(`${convention}/${mode}/${dims}`);
  expect(seen).toContain('caffe2/embedded_gaussian/3');
  expect(manifest.fixtures.length).toBeGreaterThanOrEqual(40);
});

describe.each(manifest.fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
  test('the loader detects what the keys tell', async () => {
    const { weights, x } = await load(f);
    expect(weights.convention).toBe(f.convention);
    expect([weights.inChannels, weights.interChannels, weights.dims]).toEqual([f.in_channels, f.inter_channels, f.dims]);
    expect(weights.defaults.subSample).toBe(f.sub_sample);
    expect(weights.defaults.poolBeforeConv).toBe(f.pool_before_conv);
    expect(weights.bn !== null).toBe(f.norm === 'bn');
    // dot_product is the one mode the keys cannot tell from embedded_gaussian.
    expect(weights.defaults.mode).toBe(f.mode === 'dot_product' ? 'embedded_gaussian' : f.mode);
    expect(x.shape).toEqual(f.x_shape);
  });

  test.each(SUPPORTED_ISAS)(`matches PyTorch within ${TOLERANCE} on the %s kernel (sync and async)`, async (isa) => {
    const { weights, x, z } = await load(f);
    const options = { mode: f.mode, useScale: f.use_scale };
    useIsa(isa);
    try {
      expect(maxAbsDiff(nonLocalBlock(x, weights, options).data, z.data)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff((await nonLocalBlockAsync(x, weights, options)).data, z.data)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      restoreIsa();
    }
  });

  test('reference.nonLocalBlock matches PyTorch too', async () => {
    const { weights, x, z } = await load(f);
    expect(maxAbsDiff(reference.nonLocalBlock(x, weights, { mode: f.mode, useScale: f.use_scale }).data, z.data)).toBeLessThanOrEqual(TOLERANCE);
  });
});
