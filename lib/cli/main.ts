#!/usr/bin/env node
/**
 * The `nonlocal-affinity` command line: program wiring and the exit-code policy. Each command lives
 * in commands/; they all use the package's public API only.
 *
 * Exit codes: 0 all done, 1 some inputs failed, 2 usage error (usage printed on stderr),
 * 130 / 143 a batch stopped by SIGINT (Ctrl-C) / SIGTERM.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAttend } from './commands/attend';
import { registerBatch } from './commands/batch';
import { registerBench } from './commands/bench';
import { registerBlock } from './commands/block';
import { registerDemo } from './commands/demo';
import { registerInfo } from './commands/info';
import { registerInspect } from './commands/inspect';
import { registerMap } from './commands/map';
import { EXIT_OK, EXIT_USAGE, printJson } from './output';

/** The package version, read without loading the addon (so --version works even if it cannot load). */
function packageVersion(): string {
  // dist/lib/cli → the package root
  const file = path.resolve(__dirname, '..', '..', '..', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The program with every command. Settings are applied before the commands are added, since
 * commander copies them into each subcommand at creation.
 */
export function buildProgram(): Command {
  const program = new Command('nonlocal-affinity');
  program
    .description('The non-local operation / softmax attention and whole non-local blocks on the CPU.')
    .version(packageVersion())
    // Usage errors throw instead of exiting, so main maps them to exit code 2.
    .exitOverride()
    .showHelpAfterError()
    .allowExcessArguments(false)
    .addHelpText('after', '\nExit codes: 0 all done, 1 some inputs failed, 2 usage error, 130 / 143 batch stopped by Ctrl-C / SIGTERM.\nData goes to stdout, messages and progress to stderr; every command takes --json.');
  registerAttend(program);
  registerBlock(program);
  registerBatch(program);
  registerMap(program);
  registerInspect(program);
  registerBench(program);
  registerInfo(program);
  registerDemo(program);
  return program;
}

/** Parses argv and runs the command; sets process.exitCode (never process.exit, so output flushes). */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help and --version "exit" with 0; everything else commander reports is a usage error.
    process.exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (process.exitCode === EXIT_USAGE && argv.includes('--json')) {
      printJson({ ok: false, errors: [{ path: '', code: 'E_USAGE', message: error.message.replace(/^error: /, '') }] });
    }
  }
}

if (require.main === module) {
  main(process.argv).catch((error: unknown) => {
    process.stderr.write(`nonlocal-affinity: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
