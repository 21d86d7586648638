/**
 * examples/inference-server/server.js serving blocks of whole models: a Libra R-CNN neck with only
 * --prefix (the family's use_scale=False applies), an mmaction2 TSM block with --mode, and the
 * block flags; each answer is compared with PyTorch's output from tools/make-torch-fixtures.py.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseNpy } from '../../lib/index';
import { killAll, startServer } from '../../bench/perf-report/server-harness';
import { maxAbsDiff } from '../support/oracle';

jest.setTimeout(60_000);

const fixtures = path.resolve(__dirname, '..', 'fixtures', 'block');
const children: ChildProcess[] = [];
afterAll(() => killAll(children));

function post(port: number, npy: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/block', headers: { 'Content-Type': 'application/x-npy' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(npy);
  });
}


async function serveAndCompare(name: string, args: string[]): Promise<Record<string, unknown>> {
  const listening = await startServer(path.join(fixtures, name, 'weights.safetensors'), 1 << 20, children, args);
  const reply = await post(listening.port, fs.readFileSync(path.join(fixtures, name, 'x0.npy')));
  expect(reply.status).toBe(200);
  const z = parseNpy(new Uint8Array(fs.readFileSync(path.join(fixtures, name, 'z0.npy'))));
  expect(maxAbsDiff(parseNpy(new Uint8Array(reply.body)).data, z.data)).toBeLessThanOrEqual(1e-4);
  return listening.block;
}

test('a Libra R-CNN neck served with --prefix alone gives PyTorch\'s z (use_scale=False from the family)', async () => {
  const block = await serveAndCompare('family_libra_bfp', ['--prefix', 'neck.refine.']);
  expect(block).toMatchObject({ convention: 'mmcv', family: 'mmdet-libra-bfp', mode: 'embedded_gaussian', useScale: false, subSample: false, from: { useScale: 'family' } });
});

test('an mmaction2 TSM dot-product block served with --mode dot_product', async () => {
  const block = await serveAndCompare('family_mmaction2_tsm_nl_dot', ['--mode', 'dot_product', '--sub-sample']);
  expect(block).toMatchObject({ family: 'mmaction2-resnet3d', mode: 'dot_product', subSample: true, from: { mode: 'option', subSample: 'option' } });
});

test('the block flags reach the loader; an ambiguous block without --mode does not start', async () => {
  const file = path.join(fixtures, 'family_libra_bfp', 'weights.safetensors');
  const listening = await startServer(file, 1 << 20, children, ['--prefix', 'neck.refine.', '--scale', '--no-sub-sample']);
  expect(listening.block).toMatchObject({ useScale: true, subSample: false, from: { useScale: 'option', subSample: 'option' } });
  await expect(startServer(path.join(fixtures, 'family_mmaction2_tsm_nl_dot', 'weights.safetensors'), 1 << 20, children)).rejects.toThrow(/WEIGHTS_AMBIGUOUS|--mode embedded_gaussian \| dot_product/);
  await expect(startServer(file, 1 << 20, children, ['--mode', 'softmax'])).rejects.toThrow(/options\.mode must be one of/);
});
