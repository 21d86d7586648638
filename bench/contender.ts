/**
 * One contender on one shape, in its own process (so the JIT, GC and allocator state of one
 * contender never colours another's numbers, and its peak RSS is its own): prepares seeded inputs,
 * runs once and checks the output's probe against the expected one, times the call with
 * tinybench and prints one JSON line (spec.ts ContenderResult).
 *
 *   node dist/bench/contender.js '{"contender":"native","threads":2,"shape":{...},"timeMs":2000,...}'
 *   (main.ts writes the spec to stdin instead: an expected probe can outgrow one argv string)
 */
import * as fs from 'node:fs';
import type { Prepared } from './contenders/types';
import { EXIT_DISAGREES, type ContenderSpec } from './spec';
import { DisagreementError, timeContender } from './timing';

async function prepare(spec: ContenderSpec): Promise<Prepared> {
  const { contender, threads, shape, block } = spec;
  // Each contender module is loaded only in its own process: onnxruntime-node is never in a
  // native or JS contender's address space (nor in its RSS).
  if (block) {
    if (contender === 'native') return (await import('./contenders/native.js')).nativeBlock(block, threads);
    if (contender === 'reference') return (await import('./contenders/js.js')).referenceBlock(block);
    if (contender === 'ort-block') return (await import('./contenders/ort.js')).ortBlock(block, threads);
  } else if (shape) {
    if (contender === 'native') return (await import('./contenders/native.js')).nativeAttention(shape, threads);
    if (contender === 'native-unmasked') return (await import('./contenders/native.js')).nativeAttention({ ...shape, causal: false }, threads);
    if (contender === 'reference') return (await import('./contenders/js.js')).referenceAttention(shape);
    if (contender === 'naive') return (await import('./contenders/js.js')).naiveLoop(shape);
    if (contender === 'ort-matmul') return (await import('./contenders/ort.js')).ortAttention('matmul', shape, threads);
    if (contender === 'ort-matmul-kt') return (await import('./contenders/ort.js')).ortAttention('matmul-kt', shape, threads);
    if (contender === 'ort-mha') return (await import('./contenders/ort.js')).ortAttention('mha', shape, threads);
    if (contender === 'ort-mha-masked') return (await import('./contenders/ort.js')).ortMaskedAttention('mha', shape, threads);
    if (contender === 'ort-gqa') return (await import('./contenders/ort.js')).ortMaskedAttention('gqa', shape, threads);
    if (contender === 'tfjs-wasm') return (await import('./contenders/tfjs.js')).tfjsAttention('wasm', shape);
    if (contender === 'tfjs-cpu') return (await import('./contenders/tfjs.js')).tfjsAttention('cpu', shape);
  }
  throw new Error(`no contender ${contender} for ${block ? 'the block' : 'the operator'}`);
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? fs.readFileSync(0, 'utf8')) as ContenderSpec;
  const result = await timeContender(spec, await prepare(spec), spec.contender);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = error instanceof DisagreementError ? EXIT_DISAGREES : 1;
});
