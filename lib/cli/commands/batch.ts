/**
 * `batch`: the non-local block over many .npy files — resumable (existing outputs are skipped),
 * shardable across machines (--shard i/n), tolerant of bad files, and clean on Ctrl-C.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Command } from 'commander';
import { info, nonLocalBlockAsync, writeNpy, type NonLocalWeights, type Tensor } from '../../index';
import { planBatch, type BatchItem } from '../batch-inputs';
import { addBlockOptions, blockOptions, describeBlock, loadBlockWeights, settingsText, type BlockCliOptions } from '../block-options';
import { readInput } from '../files';
import { CliError, describeError, errorCode, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, fileError, msSince, printJson, say, type FileError } from '../output';
import { parsePositiveInt, parseShard, type Shard } from '../options';
import { createProgress, type Progress } from '../progress';
import { runCommand, type CommonOptions } from '../run';

interface BatchOptions extends BlockCliOptions, CommonOptions {
  outDir: string;
  shard?: Shard;
  concurrency: number;
  failFast?: boolean;
  overwrite?: boolean;
}

type Status = 'done' | 'skipped' | 'failed' | 'not_processed';

interface FileResult {
  input: string;
  output: string;
  status: Status;
  shape?: readonly number[];
  ms?: number;
  code?: string;
  message?: string;
}

/** Adds `batch` to the program. */
export function registerBatch(program: Command): void {
  const command = program
    .command('batch')
    .summary('the block over many .npy files: resumable, shardable, progress bar')
    .description(
      'Runs the non-local block on every input (.npy files, and every *.npy directly inside the folders given) and writes ' +
        '<out-dir>/<input file name>. Existing outputs are skipped unless --overwrite, so an interrupted batch resumes. ' +
        'Inputs are sorted by file name; --shard i/n takes those at positions i, i+n, i+2n, … (0-based), the same on every machine.',
    )
    .argument('<inputs...>', '.npy files and folders of .npy files')
    .requiredOption('--out-dir <dir>', 'folder for the outputs (created if missing)');
  addBlockOptions(command)
    .option('--shard <i/n>', 'process only shard i of n (0 ≤ i < n)', parseShard)
    .option('--concurrency <K>', 'files in flight at once; threads per call default to cores / K', parsePositiveInt, 1)
    .option('--fail-fast', 'stop at the first failed input')
    .option('--overwrite', 'recompute outputs that already exist')
    .option('--json', 'print one JSON document on stdout (and no progress bar)')
    .action(async (inputs: string[], opts: BatchOptions, cmd: Command) => {
      await runCommand(cmd, 'batch', opts.json === true, () => batch(inputs, opts));
    });
}

async function batch(args: string[], opts: BatchOptions): Promise<number> {
  const start = performance.now();
  const { all, selected } = planBatch(args, opts.outDir, opts.shard);
  const weightsStart = performance.now();
  const weights = await loadBlockWeights(opts);
  const weightsMs = msSince(weightsStart);
  try {
    fs.mkdirSync(opts.outDir, { recursive: true });
  } catch (error) {
    throw new CliError(fileError(error, opts.outDir, 'write'));
  }
  // K files at once, each call on its share of the cores: calls × threads ≤ cores.
  const threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / opts.concurrency));
  const json = opts.json === true;
  if (all.length === 0) say('batch: no .npy inputs found');
  const progress = createProgress(selected.length, { bar: process.stderr.isTTY === true && !json, data: !json });
  const run = new BatchRun(selected, weights, opts, threads, progress);
  const results = await run.execute();
  progress.stop();

  const count = (s: Status): number => results.filter((r) => r.status === s).length;
  const counts = { inputs: all.length, selected: selected.length, done: count('done'), skipped: count('skipped'), failed: count('failed'), notProcessed: count('not_processed') };
  const errors: FileError[] = results.filter((r) => r.status === 'failed').map((r) => ({ path: r.input, code: r.code ?? 'E_COMPUTE', message: r.message ?? '' }));
  const totalMs = msSince(start);
  const exitCode = run.signal === 'SIGINT' ? EXIT_INTERRUPTED : run.signal === 'SIGTERM' ? EXIT_TERMINATED : counts.failed > 0 ? EXIT_FAILED : EXIT_OK;
  if (json) {
    const here = info();
    printJson({
      command: 'batch', ok: exitCode === EXIT_OK, interrupted: run.signal !== null, signal: run.signal, stoppedEarly: run.stopReason,
      weights: describeBlock(opts, weights), outDir: opts.outDir, shard: opts.shard ?? null,
      concurrency: opts.concurrency, threads, isa: here.isa, counts, files: results, errors, timings: { weightsMs, totalMs },
    });
  }
  const shardText = opts.shard === undefined ? '' : ` (shard ${opts.shard.index}/${opts.shard.count} of ${counts.inputs})`;
  say(
    `batch (${settingsText(weights)}): ${counts.done} done, ${counts.skipped} skipped (output exists), ${counts.failed} failed` +
      `${counts.notProcessed > 0 ? `, ${counts.notProcessed} not processed (${run.stopReason ?? ''})` : ''} of ${counts.selected} input${counts.selected === 1 ? '' : 's'}${shardText} in ${(totalMs / 1000).toFixed(1)} s`,
  );
  return exitCode;
}

/**
 * One run over the selected inputs. While it runs it owns SIGINT (Ctrl-C) and SIGTERM (what
 * Kubernetes and Slurm send before killing a job): stop starting files, let the running ones
 * finish writing, then report.
 */
class BatchRun {
  signal: 'SIGINT' | 'SIGTERM' | null = null;
  stopReason: 'interrupted' | 'fail-fast' | null = null;
  private next = 0;
  private readonly results: (FileResult | undefined)[];

  constructor(
    private readonly items: readonly BatchItem[],
    private readonly weights: NonLocalWeights,
    private readonly opts: BatchOptions,
    private readonly threads: number,
    private readonly progress: Progress,
  ) {
    this.results = new Array<FileResult | undefined>(items.length).fill(undefined);
  }

  /** Processes the items, up to --concurrency at once; returns one result per item, in order. */
  async execute(): Promise<FileResult[]> {
    const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
      if (this.signal !== null) {
        // A second signal: leave now. Still no partial output: every write is synchronous and
        // atomic, so this handler can only run between writes.
        process.exit(signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED);
      }
      this.signal = signal;
      this.stopReason = 'interrupted';
      this.progress.message(`batch: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'}; finishing the files in progress (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit now)`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const workers = Array.from({ length: Math.min(this.opts.concurrency, this.items.length) }, () => this.worker());
      await Promise.all(workers);
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    return this.items.map((item, i) => this.results[i] ?? { input: item.input, output: item.output, status: 'not_processed' });
  }

  private async worker(): Promise<void> {
    while (this.stopReason === null && this.next < this.items.length) {
      const i = this.next++;
      const item = this.items[i];
      const result = await this.process(item);
      this.results[i] = result;
      if (result.status === 'failed') {
        const e: FileError = { path: item.input, code: result.code ?? 'E_COMPUTE', message: result.message ?? '' };
        this.progress.message(`${e.path}: ${e.message} [${e.code}]`);
        if (this.opts.failFast === true && this.stopReason === null) this.stopReason = 'fail-fast';
      } else if (result.status === 'done') {
        this.progress.data(item.output);
      }
      this.progress.tick(item.input);
    }
  }

  private async process(item: BatchItem): Promise<FileResult> {
    const base = { input: item.input, output: item.output };
    // Outputs are only ever renamed into place whole, so an existing one is complete.
    if (this.opts.overwrite !== true && fs.existsSync(item.output)) return { ...base, status: 'skipped' };
    const start = performance.now();
    let x: Tensor;
    try {
      x = readInput(item.input);
    } catch (error) {
      return { ...base, ...failure(error, item.input, 'read') };
    }
    let z: Tensor;
    try {
      z = await nonLocalBlockAsync(x, this.weights, blockOptions(this.opts, this.threads));
    } catch (error) {
      return { ...base, status: 'failed', code: errorCode(error, 'compute'), message: describeError(error, item.input) };
    }
    try {
      writeNpy(item.output, z);
    } catch (error) {
      return { ...base, ...failure(error, item.output, 'write') };
    }
    return { ...base, status: 'done', shape: z.shape, ms: msSince(start) };
  }
}

function failure(error: unknown, path: string, stage: 'read' | 'write'): Pick<FileResult, 'status' | 'code' | 'message'> {
  const e = fileError(error, path, stage);
  // A write error names the output, which is not the input the line starts with.
  const message = stage === 'write' ? `writing ${path}: ${e.message}` : e.message;
  return { status: 'failed', code: e.code, message };
}
