/**
 * loadNonLocalWeights on state dicts written to temporary files: convention, mode and sub-sampling
 * detection, prefixes, BatchNorm folding, and every error path with its message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { nonLocalBlock } from '../../lib/block/block';
import { loadNonLocalWeights } from '../../lib/block/load-weights';
import { nonLocalBlock as referenceBlock } from '../../lib/reference/block';
import { writeSafetensors } from '../../lib/io/safetensors';
import type { Tensor } from '../../lib/core/tensor';
import { randomFloats, relativeError } from '../support/oracle';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nl-weights-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let seed = 100;
const t = (shape: number[], lo = -0.5, hi = 0.5): Tensor => ({ data: randomFloats(shape.reduce((a, b) => a * b, 1), (seed += 3), lo, hi), shape });

function save(name: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): string {
  const file = path.join(dir, `${name}.safetensors`);
  writeSafetensors(file, tensors, metadata);
  return file;
}

/** A safetensors file with one I64 entry among F32 ones, written byte by byte. */
function saveWithI64(name: string, tensors: Record<string, Tensor>, i64Name: string): string {
  const entries: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [key, value] of Object.entries(tensors)) {
    const bytes = Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    entries[key] = { dtype: 'F32', shape: value.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  entries[i64Name] = { dtype: 'I64', shape: [], data_offsets: [offset, offset + 8] };
  chunks.push(Buffer.alloc(8));
  let header = JSON.stringify(entries);
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  const file = path.join(dir, `${name}.safetensors`);
  fs.writeFileSync(file, Buffer.concat([size, Buffer.from(header), ...chunks]));
  return file;
}

/** mmcv NonLocal2d(C=6, reduction=2) state dict: θ/φ/g, conv_out with BN (no bias), sub_sample. */
function mmcvBlock(prefix = '', C = 6, Ci = 3, options: { sub?: boolean; bn?: boolean; gaussian?: boolean; concat?: boolean } = {}): Record<string, Tensor> {
  const sub = options.sub ?? true;
  const s: Record<string, Tensor> = {};
  const conv = (key: string, o: number, i: number, bias = true) => {
    s[`${prefix}${key}.weight`] = t([o, i, 1, 1]);
    if (bias) s[`${prefix}${key}.bias`] = t([o]);
  };
  conv(sub ? 'g.0.conv' : 'g.conv', Ci, C);
  if (!options.gaussian) {
    conv('theta.conv', Ci, C);
    conv(sub ? 'phi.0.conv' : 'phi.conv', Ci, C);
  }
  conv('conv_out.conv', C, Ci, !options.bn);
  if (options.bn) {
    s[`${prefix}conv_out.bn.weight`] = t([C]);
    s[`${prefix}conv_out.bn.bias`] = t([C]);
    s[`${prefix}conv_out.bn.running_mean`] = t([C]);
    s[`${prefix}conv_out.bn.running_var`] = t([C], 0.5, 2);
  }
  if (options.concat) s[`${prefix}concat_project.conv.weight`] = t([1, 2 * Ci, 1, 1]);
  return s;
}

const x2d = t([2, 6, 7, 5], -2, 2);

describe('convention, mode and sub-sampling detection', () => {
  test('mmcv with BN and sub_sample: defaults embedded_gaussian + use_scale, and the block matches the reference', async () => {
    const w = await loadNonLocalWeights(save('mmcv', mmcvBlock('', 6, 3, { bn: true })));
    expect(w.convention).toBe('mmcv');
    expect([w.inChannels, w.interChannels, w.dims]).toEqual([6, 3, 2]);
    expect(w.defaults).toEqual({ mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false });
    expect(w.out.bias).toBeNull();
    expect(w.bn?.eps).toBe(1e-5);
    expect(relativeError(nonLocalBlock(x2d, w).data, referenceBlock(x2d, w).data)).toBeLessThan(2e-5);
  });

  test('mmcv gaussian (no θ/φ) and concatenation (concat_project) are told by the keys', async () => {
    const g = await loadNonLocalWeights(save('mmcv-g', mmcvBlock('', 6, 3, { gaussian: true, sub: false })));
    expect(g.defaults.mode).toBe('gaussian');
    expect(g.defaults.subSample).toBe(false);
    expect(g.theta).toBeNull();
    const c = await loadNonLocalWeights(save('mmcv-c', mmcvBlock('', 6, 3, { concat: true })));
    expect(c.defaults.mode).toBe('concatenation');
    expect(c.concatProject?.length).toBe(6);
  });

  test('AlexHex7: W.0 conv keeps its bias and W.1 BatchNorm; the bias folds into the BN exactly like PyTorch', async () => {
    const s: Record<string, Tensor> = {
      'g.0.weight': t([3, 6, 1]), 'g.0.bias': t([3]), 'theta.weight': t([3, 6, 1]), 'theta.bias': t([3]),
      'phi.0.weight': t([3, 6, 1]), 'phi.0.bias': t([3]), 'W.0.weight': t([6, 3, 1]), 'W.0.bias': t([6], 1, 3),
      'W.1.weight': t([6]), 'W.1.bias': t([6]), 'W.1.running_mean': t([6]), 'W.1.running_var': t([6], 0.5, 2),
    };
    const w = await loadNonLocalWeights(saveWithI64('alex', s, 'W.1.num_batches_tracked'));
    expect(w.convention).toBe('alexhex7');
    expect([w.dims, w.defaults.useScale, w.defaults.subSample]).toEqual([1, false, true]);
    expect(w.out.bias).not.toBeNull();
    const x = t([2, 6, 11], -2, 2);
    // The reference applies conv (with bias) then BN explicitly; the native block folds both.
    expect(relativeError(nonLocalBlock(x, w).data, referenceBlock(x, w).data)).toBeLessThan(2e-5);
  });

  test('AlexHex7 without BN (bn_layer=False): W.weight and W.bias', async () => {
    const s: Record<string, Tensor> = {
      'g.weight': t([2, 4, 1, 1, 1]), 'g.bias': t([2]), 'theta.weight': t([2, 4, 1, 1, 1]), 'theta.bias': t([2]),
      'phi.weight': t([2, 4, 1, 1, 1]), 'phi.bias': t([2]), 'W.weight': t([4, 2, 1, 1, 1]), 'W.bias': t([4]),
    };
    const w = await loadNonLocalWeights(save('alex-nobn', s));
    expect([w.convention, w.dims, w.bn, w.defaults.subSample]).toEqual(['alexhex7', 3, null, false]);
  });

  test('Caffe2 blobs: pool before the convs, Ci^-0.5 scale, riv = running variance', async () => {
    const p = 'nonlocal_conv3_1_';
    const s: Record<string, Tensor> = {};
    for (const n of ['theta', 'phi', 'g']) {
      s[`${p}${n}_w`] = t([3, 6, 1, 1, 1]);
      s[`${p}${n}_b`] = t([3]);
    }
    Object.assign(s, { [`${p}out_w`]: t([6, 3, 1, 1, 1]), [`${p}out_b`]: t([6]), [`${p}bn_s`]: t([6]), [`${p}bn_b`]: t([6]), [`${p}bn_rm`]: t([6]), [`${p}bn_riv`]: t([6], 0.5, 2) });
    const w = await loadNonLocalWeights(save('caffe2', s));
    expect(w.convention).toBe('caffe2');
    expect(w.defaults).toEqual({ mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: true });
    expect(w.bn?.runningVar).toEqual(s[`${p}bn_riv`].data);
    const x = t([1, 6, 2, 6, 5], -2, 2);
    expect(relativeError(nonLocalBlock(x, w).data, referenceBlock(x, w).data)).toBeLessThan(2e-5);
  });

  test('__metadata__ mode, use_scale and bn_eps override what the keys imply', async () => {
    const w = await loadNonLocalWeights(save('meta', mmcvBlock('', 6, 3, { bn: true }), { mode: 'dot_product', use_scale: 'false', bn_eps: '0.001' }));
    expect(w.defaults.mode).toBe('dot_product');
    expect(w.defaults.useScale).toBe(false);
    expect(w.bn?.eps).toBe(0.001);
  });
});

describe('prefixes inside a whole model', () => {
  const model = (): Record<string, Tensor> => ({
    'backbone.conv1.weight': t([6, 3, 3, 3]),
    'backbone.bn1.running_mean': t([6]),
    ...mmcvBlock('backbone.layer2.1.non_local_block.', 6, 3, { bn: true }),
    ...mmcvBlock('neck.refine.', 6, 6, { sub: false }),
  });

  test('prefix selects one block', async () => {
    const file = save('model', model());
    const a = await loadNonLocalWeights(file, { prefix: 'neck.refine.' });
    expect([a.interChannels, a.bn, a.defaults.subSample]).toEqual([6, null, false]);
    const b = await loadNonLocalWeights(file, { prefix: 'backbone.layer2.1.non_local_block.' });
    expect([b.interChannels, b.defaults.subSample]).toEqual([3, true]);
  });

  test('no prefix with several blocks lists them', async () => {
    await expect(loadNonLocalWeights(save('model2', model()))).rejects.toThrow(
      /the file holds several blocks: pass \{ prefix \}; blocks were found at prefixes 'backbone\.layer2\.1\.non_local_block\.' \(mmcv\), 'neck\.refine\.' \(mmcv\)/,
    );
  });

  test('a prefix that matches nothing names the prefixes that would', async () => {
    await expect(loadNonLocalWeights(save('model3', model()), { prefix: 'neck.' })).rejects.toEqual(
      expect.objectContaining({ code: 'WEIGHTS_NO_BLOCK', message: expect.stringMatching(/no non-local block at prefix 'neck\.'; blocks were found at prefixes .*'neck\.refine\.' \(mmcv\)/) }),
    );
  });

  test('a single block under a prefix is found without one', async () => {
    const w = await loadNonLocalWeights(save('single', mmcvBlock('head.nl.', 6, 3)));
    expect(w.interChannels).toBe(3);
  });
});

describe('model families and where each setting came from', () => {
  /** mmcv NonLocal3d keys (kernels [o, i, 1, 1, 1]), sub-sampled, BN: an mmaction2 block. */
  function mmcv3d(prefix: string, C = 6, Ci = 3): Record<string, Tensor> {
    const s = mmcvBlock(prefix, C, Ci, { bn: true });
    for (const [k, v] of Object.entries(s)) if (v.shape.length === 4) s[k] = { data: v.data, shape: [...v.shape, 1] };
    return s;
  }

  test('an unrecognised mmcv block gets mmcv\'s defaults, and says so', async () => {
    const w = await loadNonLocalWeights(save('plain', mmcvBlock('head.nl.', 6, 3)));
    expect(w.conventions).toMatchObject({
      family: null, source: 'mmcv default', mode: 'embedded_gaussian', useScale: true, subSample: true,
      from: { mode: { kind: 'default' }, useScale: { kind: 'default', detail: 'mmcv default: NonLocal2d use_scale=True' }, subSample: { kind: 'keys' } },
    });
  });

  test('Libra\'s neck.refine. is recognised only with C_inter = C and 2-D kernels (BFP: reduction=1)', async () => {
    const libra = await loadNonLocalWeights(save('libra', mmcvBlock('neck.refine.', 6, 6, { sub: false })));
    expect(libra.conventions).toMatchObject({ family: 'mmdet-libra-bfp', useScale: false, source: 'key path neck.refine. / neck.N.refine.' });
    expect(libra.conventions?.from.useScale.detail).toContain('mmdet/models/necks/bfp.py');
    const halved = await loadNonLocalWeights(save('not-libra', mmcvBlock('neck.refine.', 6, 3, { sub: false })));
    expect([halved.conventions?.family, halved.defaults.useScale]).toEqual([null, true]);
  });

  test('mmaction2\'s key path needs 3-D kernels; a DataParallel module. prefix is allowed', async () => {
    const file = save('mma', { ...mmcv3d('module.backbone.layer3.0.non_local_block.'), ...mmcvBlock('backbone.layer2.1.non_local_block.', 6, 3, { bn: true }) });
    const w = await loadNonLocalWeights(file, { prefix: 'module.backbone.layer3.0.non_local_block.', mode: 'dot_product' });
    expect([w.conventions?.family, w.defaults.mode, w.conventions?.from.mode.kind]).toEqual(['mmaction2-resnet3d', 'dot_product', 'option']);
    const flat = await loadNonLocalWeights(file, { prefix: 'backbone.layer2.1.non_local_block.' });
    expect([flat.conventions?.family, flat.defaults.mode]).toEqual([null, 'embedded_gaussian']);
  });

  test('the caller wins over metadata, metadata over the family, the family over the default', async () => {
    const keys = mmcvBlock('neck.refine.', 6, 6, { sub: false });
    const meta = await loadNonLocalWeights(save('libra-meta', keys, { use_scale: 'true' }));
    expect([meta.defaults.useScale, meta.conventions?.from.useScale.kind]).toEqual([true, 'metadata']);
    const caller = await loadNonLocalWeights(save('libra-meta2', keys, { use_scale: 'true' }), { useScale: false, subSample: true, mode: 'dot_product' });
    expect(caller.defaults).toEqual({ mode: 'dot_product', useScale: false, subSample: true, poolBeforeConv: false });
    expect([caller.conventions?.from.useScale.kind, caller.conventions?.from.subSample.kind, caller.conventions?.from.mode.kind]).toEqual(['option', 'option', 'option']);
    // An mmaction2 block with a mode in its metadata is not ambiguous.
    const tagged = await loadNonLocalWeights(save('mma-meta', mmcv3d('backbone.layer2.1.non_local_block.'), { mode: 'dot_product' }));
    expect([tagged.defaults.mode, tagged.conventions?.from.mode.kind]).toEqual(['dot_product', 'metadata']);
  });

  test('AlexHex7 and Caffe2 are families of their own', async () => {
    const caffe2: Record<string, Tensor> = {};
    for (const n of ['theta', 'phi', 'g']) {
      caffe2[`nl_${n}_w`] = t([3, 6, 1, 1, 1]);
      caffe2[`nl_${n}_b`] = t([3]);
    }
    caffe2['nl_out_w'] = t([6, 3, 1, 1, 1]);
    caffe2['nl_out_b'] = t([6]);
    const w = await loadNonLocalWeights(save('caffe2-fam', caffe2));
    expect(w.conventions).toMatchObject({ family: 'caffe2-video-nonlocal', mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: true });
    expect(w.conventions?.from.mode.detail).toContain('NONLOCAL.USE_SOFTMAX');
  });

  test('bad loader options are TypeErrors naming the option', async () => {
    const file = save('opts', mmcvBlock());
    await expect(loadNonLocalWeights(file, { mode: 'softmax' as never })).rejects.toThrow(new TypeError("options.mode must be one of 'embedded_gaussian', 'gaussian', 'dot_product', 'concatenation', got string \"softmax\""));
    await expect(loadNonLocalWeights(file, { useScale: 1 as never })).rejects.toThrow(new TypeError('options.useScale must be a boolean, got number 1'));
    await expect(loadNonLocalWeights(file, { subSample: 'yes' as never })).rejects.toThrow(new TypeError("options.subSample must be a boolean, got string \"yes\""));
  });
});

describe('errors list what was expected and what the file holds', () => {
  test('no block at all', async () => {
    await expect(loadNonLocalWeights(save('none', { 'conv.weight': t([2, 2, 1, 1]) }))).rejects.toThrow(/the file holds no non-local block \(no g\.conv\.weight, g\.weight or \*_g_w key\)\. Keys in the file: conv\.weight/);
  });

  test('a missing key', async () => {
    const s = mmcvBlock('', 6, 3, { bn: true });
    delete s['conv_out.bn.running_var'];
    await expect(loadNonLocalWeights(save('missing', s))).rejects.toEqual(expect.objectContaining({ code: 'WEIGHTS_MISSING_KEY', message: expect.stringMatching(/missing 'conv_out\.bn\.running_var'\. Keys under prefix '': .*conv_out\.bn\.running_mean/) }));
  });

  test('a kernel that is not 1×1', async () => {
    const s = mmcvBlock('', 6, 3);
    s['theta.conv.weight'] = t([3, 6, 3, 3]);
    await expect(loadNonLocalWeights(save('kernel', s))).rejects.toThrow(/'theta\.conv\.weight' must be a 1×1 convolution weight \[out, in, 1\(, 1\(, 1\)\)\], got \[3, 6, 3, 3\]/);
  });

  test('inconsistent channel counts', async () => {
    const s = mmcvBlock('', 6, 3);
    s['phi.0.conv.weight'] = t([4, 6, 1, 1]);
    s['phi.0.conv.bias'] = t([4]);
    await expect(loadNonLocalWeights(save('channels', s))).rejects.toThrow(/phi must be \[3, 6, 1…\] like g, got \[4, 6\]/);
  });

  test('a bias of the wrong length', async () => {
    const s = mmcvBlock('', 6, 3);
    s['g.0.conv.bias'] = t([5]);
    await expect(loadNonLocalWeights(save('bias', s))).rejects.toThrow(/'g\.0\.conv\.bias' must have shape \[3\] to match 'g\.0\.conv\.weight' \[3, 6, 1, 1\], got \[5\]/);
  });

  test('a non-float dtype for a weight', async () => {
    const s = mmcvBlock('', 6, 3);
    delete s['theta.conv.bias'];
    await expect(loadNonLocalWeights(saveWithI64('dtype', s, 'theta.conv.bias'))).rejects.toEqual(expect.objectContaining({ code: 'WEIGHTS_BAD_DTYPE', message: expect.stringMatching(/'theta\.conv\.bias' has dtype I64 \[\]; a block's weights must be F32/) }));
  });

  test('a norm other than BatchNorm', async () => {
    const s = mmcvBlock('', 6, 3, { bn: false });
    s['conv_out.gn.weight'] = t([6]);
    await expect(loadNonLocalWeights(save('gn', s))).rejects.toThrow(/'conv_out\.gn\.weight': only BatchNorm \(conv_out\.bn\.\*\) is supported after conv_out/);
  });

  test('bad arguments and a missing file', async () => {
    await expect(loadNonLocalWeights(3 as unknown as string)).rejects.toThrow(/^path must be a string, got number 3$/);
    await expect(loadNonLocalWeights(save('ok', mmcvBlock()), { prefix: 3 as unknown as string })).rejects.toThrow(/^options\.prefix must be a string, got number 3$/);
    await expect(loadNonLocalWeights(path.join(dir, 'nope.safetensors'))).rejects.toThrow(/nope\.safetensors/);
  });
});
