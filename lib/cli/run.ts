/**
 * The one path every command's action takes: run it, turn its errors into the documented exit
 * codes, and print the --json document when asked.
 */
import type { Command } from 'commander';
import { CliError, EXIT_FAILED, EXIT_USAGE, printJson, reportFileError, say, UsageError, type FileError } from './output';

/** Options every command has. */
export interface CommonOptions {
  json?: boolean;
}

/**
 * Runs a command body and sets process.exitCode (never process.exit, so stdout and stderr flush).
 * A UsageError goes through commander (usage printed, exit 2); a CliError carries the failed
 * inputs (a line each on stderr, exit 1); anything else is reported as an internal error (exit 1).
 */
export async function runCommand(command: Command, name: string, json: boolean, body: () => Promise<number>): Promise<void> {
  let exitCode: number;
  try {
    exitCode = await body();
  } catch (error) {
    if (error instanceof UsageError) {
      // Throws a CommanderError (exitOverride), handled in main like commander's own usage errors.
      command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE, code: 'nonlocal.usage' });
    }
    let errors: readonly FileError[];
    if (error instanceof CliError) {
      errors = error.errors;
      for (const e of errors) reportFileError(e);
    } else {
      // Not an input's fault: a bug or the environment. Keep the stack for the bug report.
      say(`nonlocal-affinity ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      errors = [{ path: '', code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error) }];
    }
    if (json) printJson({ command: name, ok: false, errors });
    exitCode = EXIT_FAILED;
  }
  process.exitCode = exitCode;
}
