/**
 * `demo` (`npm run demo`): a non-local block and the fused operator on generated input — no files
 * needed — timed natively against the pure-JS reference on the same input, with their agreement.
 */
import type { Command } from 'commander';
import { attention, info, nonLocalBlock, nonLocalBlockAsync, reference, type NonLocalWeights, type Tensor } from '../../index';
import { EXIT_OK, msText, print, printJson } from '../output';
import { parseThreads } from '../options';
import { seededFloats } from '../../core/seeded-random';
import { runCommand, type CommonOptions } from '../run';

interface DemoOptions extends CommonOptions {
  threads?: number;
}

/** Adds `demo` to the program. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .summary('a non-local block on generated input, timed against the JS reference (a few seconds)')
    .option('--threads <T>', 'threads for the native calls (default: all cores)', parseThreads)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: DemoOptions, cmd: Command) => {
      await runCommand(cmd, 'demo', opts.json === true, () => demo(opts));
    });
}

/** Runs fn once and returns its result and its wall time in ms. */
async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
}

/** max |a − b| and max |b|, for "agree to 1e-6 of the scale". */
function difference(a: Tensor, b: Tensor): { maxAbsDiff: number; maxAbs: number } {
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.data.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a.data[i] - b.data[i]));
    maxAbs = Math.max(maxAbs, Math.abs(b.data[i]));
  }
  return { maxAbsDiff, maxAbs };
}

/** An mmcv NonLocal2d (embedded Gaussian, use_scale, sub-sampled, BatchNorm) with small random weights. */
function demoWeights(C: number, Ci: number): NonLocalWeights {
  let seed = 20;
  const small = (n: number): Float32Array => seededFloats(n, (seed += 1)).map((v) => v * 0.05);
  const conv = (o: number, i: number): { weight: Float32Array; bias: Float32Array } => ({ weight: small(o * i), bias: small(o) });
  return {
    convention: 'mmcv', inChannels: C, interChannels: Ci, dims: 2,
    theta: conv(Ci, C), phi: conv(Ci, C), g: conv(Ci, C), out: { weight: small(C * Ci), bias: null },
    bn: { weight: small(C).map((v) => 1 + v), bias: small(C), runningMean: small(C), runningVar: small(C).map((v) => 1 + v), eps: 1e-5 },
    concatProject: null,
    defaults: { mode: 'embedded_gaussian', useScale: true, subSample: true, poolBeforeConv: false },
  };
}

async function demo(opts: DemoOptions): Promise<number> {
  const here = info();
  const threads = opts.threads ?? here.threads;
  const json = opts.json === true;
  const out = (line: string): void => {
    if (!json) print(line);
  };
  out(`nonlocal-affinity ${here.version}: kernel ${here.isa} (available: ${here.isas.join(', ')}), OpenMP ${here.openmp ? 'on' : 'off'}, ${threads} thread${threads === 1 ? '' : 's'}`);

  // The main job: a whole block, as in a detector's neck (mmcv NonLocal2d on a 32×32 feature map).
  const C = 256;
  const Ci = 128;
  const weights = demoWeights(C, Ci);
  const x = { data: seededFloats(C * 32 * 32, 9), shape: [1, C, 32, 32] };
  // Warm-ups: page in the weights and start the OpenMP teams (the async call runs on one of the
  // addon's kernel threads, which has a team of its own).
  nonLocalBlock(x, weights, { threads });
  await nonLocalBlockAsync(x, weights, { threads });
  const [z, blockMs] = await timed(() => nonLocalBlock(x, weights, { threads }));
  const [, blockAsyncMs] = await timed(() => nonLocalBlockAsync(x, weights, { threads }));
  const [zRef, blockRefMs] = await timed(() => reference.nonLocalBlock(x, weights));
  const blockDiff = difference(z, zRef);
  out(`\nnon-local block (mmcv NonLocal2d, C=${C}, C_inter=${Ci}, embedded Gaussian, sub-sampled, BN) on x [1, ${C}, 32, 32]:`);
  out(`  native:          ${msText(blockMs)}`);
  out(`  native, async:   ${msText(blockAsyncMs)}`);
  out(`  reference (JS):  ${msText(blockRefMs)}  → ${(blockRefMs / blockMs).toFixed(0)}× faster, max |native − JS| = ${blockDiff.maxAbsDiff.toExponential(2)} (values up to ${blockDiff.maxAbs.toFixed(2)})`);

  // The operator alone: softmax attention, 2048 positions of width 64.
  const N = 2048;
  const d = 64;
  const q = { data: seededFloats(N * d, 1), shape: [1, N, d] };
  const k = { data: seededFloats(N * d, 2), shape: [1, N, d] };
  const v = { data: seededFloats(N * d, 3), shape: [1, N, d] };
  const options = { scale: 1 / Math.sqrt(d), threads };
  attention(q, k, v, options); // warm-up
  const [y, attnMs] = await timed(() => attention(q, k, v, options));
  const [yRef, attnRefMs] = await timed(() => reference.attention(q, k, v, { scale: options.scale }));
  const attnDiff = difference(y, yRef);
  const gflop = (4 * N * N * d) / 1e9;
  out(`\nsoftmax attention, query/key/value [1, ${N}, ${d}] (${gflop.toFixed(2)} GFLOP per call):`);
  out(`  native:          ${msText(attnMs)}  (${(gflop / (attnMs / 1000)).toFixed(1)} GFLOP/s)`);
  out(`  reference (JS):  ${msText(attnRefMs)}  (${(gflop / (attnRefMs / 1000)).toFixed(1)} GFLOP/s) → ${(attnRefMs / attnMs).toFixed(0)}× faster, max |native − JS| / max |JS| = ${(attnDiff.maxAbsDiff / attnDiff.maxAbs).toExponential(2)}`);

  if (json) {
    const round = (ms: number): number => Math.round(ms * 1000) / 1000;
    printJson({
      command: 'demo', ok: true, version: here.version, isa: here.isa, isas: here.isas, openmp: here.openmp, threads,
      block: {
        input: x.shape, channels: C, interChannels: Ci, mode: 'embedded_gaussian', subSample: true,
        nativeMs: round(blockMs), nativeAsyncMs: round(blockAsyncMs), referenceMs: round(blockRefMs), speedup: blockRefMs / blockMs, ...blockDiff,
      },
      attention: { shape: q.shape, gflop, nativeMs: round(attnMs), referenceMs: round(attnRefMs), speedup: attnRefMs / attnMs, ...attnDiff },
    });
  }
  return EXIT_OK;
}
