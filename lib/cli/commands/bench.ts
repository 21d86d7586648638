/**
 * `bench`: the package's benchmark (what `npm run bench` runs), in a child process so each
 * contender keeps the machine to itself; --json and --quick are passed through.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT_FAILED, EXIT_INTERRUPTED } from '../output';
import { runCommand, type CommonOptions } from '../run';

interface BenchOptions extends CommonOptions {
  quick?: boolean;
}

/** dist/lib/cli/commands → dist/bench/main.js */
const BENCH_SCRIPT = path.resolve(__dirname, '..', '..', '..', 'bench', 'main.js');

/** Adds `bench` to the program. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .summary('the benchmark of `npm run bench` (takes minutes)')
    .option('--quick', 'the two smallest shapes only (a smoke run)')
    .option('--json', 'one JSON document on stdout')
    .action(async (opts: BenchOptions, cmd: Command) => {
      await runCommand(cmd, 'bench', opts.json === true, () => bench(opts));
    });
}

async function bench(opts: BenchOptions): Promise<number> {
  if (!fs.existsSync(BENCH_SCRIPT)) {
    throw new CliError({ path: BENCH_SCRIPT, code: 'ENOENT', message: 'the benchmark is not built here (run `npm run build:ts` in the package)' });
  }
  const args = [BENCH_SCRIPT, ...(opts.json === true ? ['--json'] : []), ...(opts.quick === true ? ['--quick'] : [])];
  // stdio inherited: the benchmark's own table/JSON is this command's stdout, its progress stderr.
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; wait for it rather than die first.
  const ignore = (): void => undefined;
  process.on('SIGINT', ignore);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c, s) => resolve([c, s]));
    });
    if (signal === 'SIGINT') return EXIT_INTERRUPTED;
    return code === 0 ? 0 : EXIT_FAILED;
  } finally {
    process.removeListener('SIGINT', ignore);
  }
}
