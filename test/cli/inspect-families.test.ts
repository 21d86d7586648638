/**
 * `inspect`, and what `block` says about the settings it ran with: on the model-family fixtures
 * of tools/make-torch-fixtures.py (whole mmdet / mmaction2 / mmseg models), run as a user runs them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../lib/index';
import { cli, cliJson, tempDir } from './helpers';
import { maxAbsDiff } from '../support/oracle';

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'block');
const weightsOf = (name: string) => path.join(fixtures, name, 'weights.safetensors');

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());


describe('inspect', () => {
  it('lists every block of an mmaction2 model with its family, settings and their sources', () => {
    const r = cli(['inspect', weightsOf('family_mmaction2_i3d_nl')], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^.*weights\.safetensors: 110 tensors, 3 non-local blocks, 74 other tensors\n/);
    for (const prefix of ['backbone.layer2.1.non_local_block.', 'backbone.layer2.3.non_local_block.', 'backbone.layer3.1.non_local_block.']) {
      expect(r.stdout).toContain(`\n${prefix}\n  convention  mmcv names\n  family      mmaction2-resnet3d (key path backbone.layerN.M.non_local_block.)\n`);
    }
    expect(r.stdout).toContain('  channels    C 16, C_inter 8, 3-D kernels\n  mode        ambiguous: pass --mode embedded_gaussian | dot_product\n');
    expect(r.stdout).toContain('  use_scale   false  [family: mmaction2 configs/recognition/{i3d,tsm}/*nl*.py: non_local_cfg use_scale=False]');
    expect(r.stdout).toContain('  skipped     conv_out.bn.num_batches_tracked (I64, not a weight)');
  });

  it('--json gives the same report as one document', () => {
    const r = cliJson(['inspect', weightsOf('family_libra_list_neck')], dir);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ command: 'inspect', ok: true, blocks: [{ prefix: 'neck.1.refine.', convention: 'mmcv', family: 'mmdet-libra-bfp', mode: 'embedded_gaussian', useScale: false, subSample: false, inChannels: 8, interChannels: 8 }] });
    expect(r.json.blocks[0].from.useScale).toEqual({ kind: 'family', detail: 'mmdet mmdet/models/necks/bfp.py: NonLocal2d(in_channels, reduction=1, use_scale=False)' });
  });

  it('an unrecognised block shows the library defaults as such', () => {
    const r = cli(['inspect', weightsOf('mmcv_whole_model')], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  family      none known at this key path (mmcv default settings)\n');
    expect(r.stdout).toContain("  mode        embedded_gaussian  [default: mmcv default: mode='embedded_gaussian']");
  });

  it('a file without a block, or one that is not safetensors, exits 1', () => {
    fs.writeFileSync(path.join(dir, 'x.npy'), fs.readFileSync(path.join(fixtures, 'family_libra_bfp', 'x0.npy')));
    const none = cliJson(['inspect', 'x.npy'], dir);
    expect(none.code).toBe(1);
    expect(none.json).toMatchObject({ command: 'inspect', ok: false, errors: [{ path: 'x.npy' }] });
    const missing = cli(['inspect', 'nope.safetensors'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.safetensors/);
  });
});

describe('block on whole models of known families', () => {
  it('Libra: --prefix alone gives PyTorch\'s z, and the summary line names the settings', () => {
    const r = cli(['block', '--weights', weightsOf('family_libra_bfp'), '--prefix', 'neck.refine.', '--input', path.join(fixtures, 'family_libra_bfp', 'x0.npy'), '--output', 'libra.npy'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/notice/);
    expect(r.stderr).toMatch(/^block: mmcv mmdet-libra-bfp: embedded_gaussian, use_scale false, sub_sample false; /m);
    expect(maxAbsDiff(readNpy(path.join(dir, 'libra.npy')).data, readNpy(path.join(fixtures, 'family_libra_bfp', 'z0.npy')).data)).toBeLessThanOrEqual(1e-4);
  });

  it('mmaction2: without --mode it refuses (WEIGHTS_AMBIGUOUS); with it, PyTorch\'s z', () => {
    const input = path.join(fixtures, 'family_mmaction2_tsm_nl_dot', 'x0.npy');
    const refused = cliJson(['block', '--weights', weightsOf('family_mmaction2_tsm_nl_dot'), '--input', input, '--output', 'tsm.npy'], dir);
    expect(refused.code).toBe(1);
    expect(refused.json.errors[0]).toMatchObject({ code: 'WEIGHTS_AMBIGUOUS', message: expect.stringContaining('(CLI: --mode embedded_gaussian | dot_product)') });
    expect(fs.existsSync(path.join(dir, 'tsm.npy'))).toBe(false);
    const r = cliJson(['block', '--weights', weightsOf('family_mmaction2_tsm_nl_dot'), '--mode', 'dot_product', '--input', input, '--output', 'tsm.npy'], dir);
    expect(r.code).toBe(0);
    expect(r.json.weights).toMatchObject({ family: 'mmaction2-resnet3d', mode: 'dot_product', useScale: false, subSample: true, conventions: { from: { mode: { kind: 'option' } } } });
    expect(maxAbsDiff(readNpy(path.join(dir, 'tsm.npy')).data, readNpy(path.join(fixtures, 'family_mmaction2_tsm_nl_dot', 'z0.npy')).data)).toBeLessThanOrEqual(1e-4);
  });

  it('an unrecognised block gets a one-line notice naming the assumed settings; choosing them silences it', () => {
    const args = ['block', '--weights', weightsOf('mmcv_whole_model'), '--prefix', 'neck.refine.', '--input', path.join(fixtures, 'mmcv_whole_model', 'x.npy')];
    const r = cli([...args, '--output', 'w1.npy'], dir);
    expect(r.code).toBe(0);
    const notices = r.stderr.split('\n').filter((l) => l.includes('notice'));
    expect(notices).toEqual([expect.stringMatching(/^nonlocal-affinity: notice: .*weights\.safetensors: the block at 'neck\.refine\.' is of no known model family; assuming the mmcv defaults: mode embedded_gaussian, use_scale true \(pass --mode, --scale or --no-scale to choose\)$/)]);
    const chosen = cli([...args, '--output', 'w2.npy', '--mode', 'embedded_gaussian', '--scale'], dir);
    expect(chosen.code).toBe(0);
    expect(chosen.stderr).not.toMatch(/notice/);
    expect(fs.readFileSync(path.join(dir, 'w1.npy')).equals(fs.readFileSync(path.join(dir, 'w2.npy')))).toBe(true);
  });
});
