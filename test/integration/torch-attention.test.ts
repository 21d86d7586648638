/**
 * Masked and grouped-query attention against PyTorch: tools/make-attention-fixtures.py computes
 * softmax(s·QKᵀ + bias + causal mask)·V in float64 with the masks built as transformer code builds
 * them (tril for both causal alignments, a Swin relative position bias table, ALiBi, K/V heads
 * repeated with repeat_interleave, padding masks). Each fixture goes through attention() on every
 * kernel, attentionAsync and reference.attention, and must match within 1e-4 (max abs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { attention, attentionAsync, readNpy, reference, type AttentionOptions, type Tensor } from '../../lib/index';
import { restoreIsa, SUPPORTED_ISAS, useIsa } from '../support/isas';
import { maxAbsDiff } from '../support/oracle';

interface Fixture { name: string; B: number; H: number; Hkv: number; N: number; M: number; d: number; dv: number; scale: number; causal: 'upper-left' | 'lower-right' | null; bias: number[] | null; mask: boolean }

const root = path.join(__dirname, '..', 'fixtures', 'attention');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { fixtures: Fixture[] };
const TOLERANCE = 1e-4;


function load(f: Fixture): { q: Tensor; k: Tensor; v: Tensor; y: Tensor; options: AttentionOptions } {
  const read = (n: string) => readNpy(path.join(root, f.name, `${n}.npy`));
  const options: AttentionOptions = { scale: f.scale };
  if (f.causal !== null) options.causal = f.causal;
  if (f.bias !== null) options.attentionBias = read('bias');
  if (f.mask) options.keyPaddingMask = Uint8Array.from(read('mask').data, (x) => (x !== 0 ? 1 : 0));
  return { q: read('q'), k: read('k'), v: read('v'), y: read('y'), options };
}

test('the fixtures cover both causal alignments, Swin and ALiBi biases, GQA down to one KV head, padding', () => {
  const names = manifest.fixtures.map((f) => f.name);
  expect(names).toEqual(expect.arrayContaining(['causal_lower_right_kv_cache', 'swin_relative_position_bias', 'alibi_causal_gqa', 'gqa_multi_query_padding']));
  expect(new Set(manifest.fixtures.map((f) => f.causal))).toEqual(new Set([null, 'upper-left', 'lower-right']));
  expect(manifest.fixtures.some((f) => f.Hkv === 1 && f.H > 1)).toBe(true);
});

describe.each(manifest.fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
  test.each(SUPPORTED_ISAS)(`matches PyTorch within ${TOLERANCE} on the %s kernel (sync and async)`, async (isa) => {
    const { q, k, v, y, options } = load(f);
    expect(k.shape).toEqual([f.B, f.Hkv, f.M, f.d]);
    useIsa(isa);
    try {
      expect(maxAbsDiff(attention(q, k, v, options).data, y.data)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff((await attentionAsync(q, k, v, options)).data, y.data)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      restoreIsa();
    }
  });

  test('reference.attention matches PyTorch too', () => {
    const { q, k, v, y, options } = load(f);
    expect(maxAbsDiff(reference.attention(q, k, v, options).data, y.data)).toBeLessThanOrEqual(TOLERANCE);
  });
});
