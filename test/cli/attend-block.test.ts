/**
 * `attend` and `block` run as a user runs them: the file they write is the API's result bit for
 * bit, --json parses with the documented fields, and bad inputs give one line and exit 1.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { attention, loadNonLocalWeights, nonLocalBlock, readNpy, writeNpy } from '../../lib/index';
import { cli, cliJson, sameBits, tempDir, writeMmcvWeights, writeRandomNpy } from './helpers';

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  writeRandomNpy(path.join(dir, 'q.npy'), [2, 40, 16], 1);
  writeRandomNpy(path.join(dir, 'k.npy'), [2, 24, 16], 2);
  writeRandomNpy(path.join(dir, 'v.npy'), [2, 24, 8], 3);
  writeRandomNpy(path.join(dir, 'x.npy'), [2, 8, 6, 5], 4);
  writeMmcvWeights(path.join(dir, 'w.safetensors'), 8, 4, 5);
});
afterAll(() => cleanup());

describe('attend', () => {
  it('writes exactly what attention() returns', () => {
    const r = cli(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'y.npy', '--scale', '1/4', '--heads', '2'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('y.npy [2, 40, 8]');
    const [q, k, v] = ['q', 'k', 'v'].map((n) => readNpy(path.join(dir, `${n}.npy`)));
    const expected = attention(q, k, v, { scale: 0.25, heads: 2 });
    expect(sameBits(readNpy(path.join(dir, 'y.npy')), expected)).toBe(true);
  });

  it('applies a float mask .npy (nonzero keeps the key) and prints the documented --json', () => {
    const mask = new Float32Array(2 * 24).map((_, i) => (i % 3 === 0 ? 0 : 1.5));
    writeNpy(path.join(dir, 'm.npy'), { data: mask, shape: [2, 24] });
    const r = cliJson(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'ym.npy', '--mask', 'm.npy', '--affinity', 'dot_product'], dir);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ command: 'attend', ok: true, output: { path: 'ym.npy', shape: [2, 40, 8] }, affinity: 'dot_product', inputs: { mask: { path: 'm.npy', shape: [2, 24] } } });
    expect(typeof r.json.isa).toBe('string');
    expect(Number.isFinite(r.json.timings.computeMs)).toBe(true); // reported, not bounded
    const [q, k, v] = ['q', 'k', 'v'].map((n) => readNpy(path.join(dir, `${n}.npy`)));
    const expected = attention(q, k, v, { affinity: 'dot_product', keyPaddingMask: Uint8Array.from(mask, (m) => (m !== 0 ? 1 : 0)) });
    expect(sameBits(readNpy(path.join(dir, 'ym.npy')), expected)).toBe(true);
  });

  it('reports a missing input in one line naming it, exit 1', () => {
    const r = cliJson(['attend', '--query', 'q.npy', '--key', 'missing.npy', '--value', 'v.npy', '--output', 'y2.npy'], dir);
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ command: 'attend', ok: false, errors: [{ path: 'missing.npy', code: 'ENOENT' }] });
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^missing\.npy: no such file or directory \[ENOENT\]$/)]);
    expect(fs.existsSync(path.join(dir, 'y2.npy'))).toBe(false);
  });

  it('reports a shape mismatch as E_SHAPE naming the file, exit 1', () => {
    const r = cliJson(['attend', '--query', 'q.npy', '--key', 'v.npy', '--value', 'v.npy', '--output', 'y3.npy'], dir);
    expect(r.code).toBe(1);
    expect(r.json.errors).toEqual([expect.objectContaining({ path: 'v.npy', code: 'E_SHAPE' })]);
    expect(r.stderr).toMatch(/^v\.npy: key\.shape\[2\] must equal query\.shape\[2\].*\[E_SHAPE\]$/m);
  });

  it('--causal, --bias and --kv-heads: exactly what attention() returns with causal, attentionBias and kvHeads', () => {
    writeRandomNpy(path.join(dir, 'kg.npy'), [2, 24, 8], 6); // one KV head of width 8 for heads = 2
    writeRandomNpy(path.join(dir, 'vg.npy'), [2, 24, 4], 7);
    writeRandomNpy(path.join(dir, 'b.npy'), [1, 2, 40, 24], 8);
    const [q, k, v, bias] = ['q', 'kg', 'vg', 'b'].map((n) => readNpy(path.join(dir, `${n}.npy`)));
    const base = ['attend', '--query', 'q.npy', '--key', 'kg.npy', '--value', 'vg.npy', '--heads', '2', '--kv-heads', '1'];
    const r = cliJson([...base, '--output', 'yc.npy', '--causal', 'lower-right', '--bias', 'b.npy'], dir);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, causal: 'lower-right', kvHeads: 1, heads: 2, output: { shape: [2, 40, 8] }, inputs: { bias: { path: 'b.npy', shape: [1, 2, 40, 24] } } });
    const expected = attention(q, k, v, { heads: 2, kvHeads: 1, causal: 'lower-right', attentionBias: bias });
    expect(sameBits(readNpy(path.join(dir, 'yc.npy')), expected)).toBe(true);
    // --causal alone is upper-left, as PyTorch's is_causal.
    const plain = cli([...base, '--output', 'yu.npy', '--causal'], dir);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^attend: embedded_gaussian, causal upper-left, /m);
    expect(sameBits(readNpy(path.join(dir, 'yu.npy')), attention(q, k, v, { heads: 2, kvHeads: 1, causal: true }))).toBe(true);
  });

  it('a bias of the wrong shape is E_SHAPE on the bias file; a bad --causal or --kv-heads is a usage error', () => {
    writeRandomNpy(path.join(dir, 'bad-bias.npy'), [40, 23], 9);
    const shape = cliJson(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'yb.npy', '--bias', 'bad-bias.npy'], dir);
    expect(shape.code).toBe(1);
    expect(shape.json.errors).toEqual([expect.objectContaining({ path: 'bad-bias.npy', code: 'E_SHAPE', message: expect.stringMatching(/^options\.attentionBias must have shape \[B\|1, H\|1, N, M\] = \[2\|1, 1\|1, 40, 24\] or \[N, M\] = \[40, 24\], got \[40, 23\]/) })]);
    const causal = cli(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'yb.npy', '--causal', 'diagonal'], dir);
    expect(causal.code).toBe(2);
    expect(causal.stderr).toMatch(/option '--causal \[alignment\]' argument 'diagonal' is invalid\. expected upper-left or lower-right, got 'diagonal'/);
    const kv = cliJson(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'yb.npy', '--heads', '4', '--kv-heads', '3'], dir);
    expect(kv.code).toBe(1);
    expect(kv.json.errors[0].message).toMatch(/^options\.kvHeads \(3\) must divide options\.heads \(4\)/);
    expect(fs.existsSync(path.join(dir, 'yb.npy'))).toBe(false);
  });

  it('never overwrites an input: exit 2 with the usage', () => {
    const before = fs.readFileSync(path.join(dir, 'q.npy'));
    const r = cli(['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', './q.npy'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to overwrite an input/);
    expect(r.stderr).toMatch(/Usage: nonlocal-affinity attend/);
    expect(fs.readFileSync(path.join(dir, 'q.npy')).equals(before)).toBe(true);
  });
});

describe('block', () => {
  it('writes exactly what nonLocalBlock() returns, with the options mapped', async () => {
    const r = cliJson(['block', '--input', 'x.npy', '--weights', 'w.safetensors', '--output', 'z.npy', '--no-scale', '--sub-sample', '--mode', 'dot_product', '--threads', '1'], dir);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      command: 'block', ok: true, input: { path: 'x.npy', shape: [2, 8, 6, 5] }, output: { path: 'z.npy', shape: [2, 8, 6, 5] },
      weights: { convention: 'mmcv', inChannels: 8, interChannels: 4, mode: 'dot_product', useScale: false, subSample: true }, threads: 1,
    });
    const weights = await loadNonLocalWeights(path.join(dir, 'w.safetensors'));
    const expected = nonLocalBlock(readNpy(path.join(dir, 'x.npy')), weights, { mode: 'dot_product', useScale: false, subSample: true });
    expect(sameBits(readNpy(path.join(dir, 'z.npy')), expected)).toBe(true);
  });

  it('uses the checkpoint defaults when no flags are given', async () => {
    const r = cli(['block', '--input', 'x.npy', '--weights', 'w.safetensors', '--output', 'z0.npy'], dir);
    expect(r.code).toBe(0);
    const weights = await loadNonLocalWeights(path.join(dir, 'w.safetensors'));
    expect(sameBits(readNpy(path.join(dir, 'z0.npy')), nonLocalBlock(readNpy(path.join(dir, 'x.npy')), weights))).toBe(true);
  });

  it('reports an input that does not fit the weights as E_SHAPE, and options that do not as E_OPTIONS', () => {
    const shape = cliJson(['block', '--input', 'q.npy', '--weights', 'w.safetensors', '--output', 'z1.npy'], dir);
    expect(shape.code).toBe(1);
    expect(shape.json.errors).toEqual([expect.objectContaining({ path: 'q.npy', code: 'E_SHAPE' })]);
    const options = cliJson(['block', '--input', 'x.npy', '--weights', 'w.safetensors', '--output', 'z1.npy', '--mode', 'concatenation'], dir);
    expect(options.code).toBe(1);
    expect(options.json.errors).toEqual([expect.objectContaining({ path: 'w.safetensors', code: 'E_OPTIONS' })]);
    const prefix = cliJson(['block', '--input', 'x.npy', '--weights', 'w.safetensors', '--output', 'z1.npy', '--prefix', 'nope.'], dir);
    expect(prefix.code).toBe(1);
    expect(prefix.json.errors[0].path).toBe('w.safetensors');
    expect(prefix.json.errors[0].code).toMatch(/^[A-Z_]+$/);
    expect(fs.existsSync(path.join(dir, 'z1.npy'))).toBe(false);
  });
});
