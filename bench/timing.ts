/**
 * The timing loop every contender shares: one first call whose output is probed (and checked
 * against the expected probe, so a wrong contender is never timed), then tinybench's median.
 */
import type { Prepared } from './contenders/types';
import { agrees } from './probe';
import type { ContenderResult, ContenderSpec } from './spec';

/** The contender computed something else than the native result (contender.ts exits with EXIT_DISAGREES). */
export class DisagreementError extends Error {}

export async function timeContender(spec: ContenderSpec, c: Prepared, label: string): Promise<ContenderResult> {
  const t0 = performance.now();
  const probe = c.probe(await c.run());
  const firstMs = performance.now() - t0;
  if (spec.expectProbe) {
    const { ok, relativeError } = agrees(probe, spec.expectProbe);
    if (!ok) throw new DisagreementError(`${label} disagrees with the native result: max error ${relativeError.toExponential(2)} of the largest value (limit 1e-4)`);
  }
  // A call over a second: the first call was its warm-up, and three samples make the median.
  const slow = firstMs > 1000;
  const { Bench } = await import('tinybench');
  const bench = new Bench({ iterations: slow ? Math.min(spec.minSamples, 3) : spec.minSamples, time: spec.timeMs, warmupIterations: slow ? 0 : spec.warmup, warmupTime: 0, retainSamples: true });
  // ORT's session.run returns a promise (onnxruntime-node runs the graph in a setImmediate
  // callback): time it awaited. The others are timed under runSync, with no promise machinery.
  if (spec.contender.startsWith('ort-')) {
    const run = c.run;
    bench.add(label, async () => {
      await run();
    });
    await bench.run();
  } else {
    bench.add(label, c.run as () => Float32Array);
    bench.runSync();
  }
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`tinybench task ended in state ${result.state}`);
  return {
    medianMs: result.latency.p50,
    samples: result.latency.samplesCount,
    samplesMs: [...(result.latency.samples ?? [])],
    probe,
    engine: c.engine,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
