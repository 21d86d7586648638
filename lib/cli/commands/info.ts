/**
 * `info`: what runs here — version, the kernel chosen and those available, OpenMP, threads — and
 * the measured FP32 FMA peak of this machine (the denominator of "% of peak").
 */
import * as os from 'node:os';
import type { Command } from 'commander';
import { info, measureFmaPeak } from '../../index';
import { EXIT_OK, print, printJson, UsageError } from '../output';
import { parsePositiveNumber, parseThreads } from '../options';
import { runCommand, type CommonOptions } from '../run';

interface InfoOptions extends CommonOptions {
  threads?: number;
  seconds?: number;
  isa?: string;
}

/** Adds `info` to the program. */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .summary('version, instruction sets, OpenMP, threads and the measured FMA peak')
    .option('--threads <T>', 'threads for the peak measurement (default: all cores)', parseThreads)
    .option('--seconds <s>', 'how long to measure the peak (default 0.5, at most 10)', parsePositiveNumber)
    .option('--isa <name>', "measure the peak of this kernel's vectors instead of the one in force (e.g. avx2 on an AVX-512 CPU)")
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: InfoOptions, cmd: Command) => {
      await runCommand(cmd, 'info', opts.json === true, async () => infoCommand(opts));
    });
}

function infoCommand(opts: InfoOptions): number {
  const here = info();
  const threads = opts.threads ?? here.threads;
  const peakIsa = opts.isa ?? here.isa;
  if (!here.isas.includes(peakIsa)) throw new UsageError(`--isa must be one of ${here.isas.join(', ')} (the kernels this CPU runs), got '${peakIsa}'`);
  const fmaPeakGflops = measureFmaPeak({ threads, seconds: Math.min(10, opts.seconds ?? 0.5), isa: peakIsa });
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  if (opts.json === true) {
    printJson({ command: 'info', ...here, fmaPeakGflops, peakThreads: threads, peakIsa, cpu, cores: os.availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` });
  } else {
    print(`nonlocal-affinity ${here.version}`);
    print(`kernel:        ${here.isa} (available: ${here.isas.join(', ')})`);
    print(`OpenMP:        ${here.openmp ? 'yes' : 'no (every call runs on one thread)'}`);
    print(`threads:       ${here.threads} by default (${os.availableParallelism()} cores)`);
    const c = here.caches;
    print(`caches:        L1d ${bytes(c.l1d)}, L2 ${bytes(c.l2)} per core, L3 ${bytes(c.l3)} (${c.source === 'default' ? 'not found: built-in defaults' : `from ${c.source}`})`);
    print(`FMA peak:      ${fmaPeakGflops.toFixed(1)} GFLOP/s FP32 with ${threads} thread${threads === 1 ? '' : 's'}, ${peakIsa} vectors (measured)`);
    print(`CPU:           ${cpu}, Node ${process.version}, ${process.platform}-${process.arch}`);
  }
  return EXIT_OK;
}

/** 49152 → '48 KiB', 2097152 → '2 MiB'. */
function bytes(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${Math.round(n / 1024)} KiB`;
}
