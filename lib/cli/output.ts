/**
 * Where things go: data and the --json document on stdout, messages and progress on stderr; and
 * the stable error codes the CLI reports.
 */
import * as util from 'node:util';

/** Exit codes: all done, some inputs failed, usage error, interrupted (128 + SIGINT / SIGTERM). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

/** One failed input as the --json document and the stderr line report it. */
export interface FileError {
  path: string;
  code: string;
  message: string;
}

/** What a command was doing when an error happened; picks the fallback code. */
export type Stage = 'read' | 'weights' | 'compute' | 'write';

const FALLBACK_CODE: Record<Stage, string> = { read: 'E_READ', weights: 'E_WEIGHTS', compute: 'E_COMPUTE', write: 'E_WRITE' };

/** Inputs that failed, raised by a command to end with exit 1 after every error got its line. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly errors: readonly FileError[];
  constructor(errors: FileError | readonly FileError[]) {
    const list = Array.isArray(errors) ? (errors as readonly FileError[]) : [errors as FileError];
    super(list.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.errors = list;
  }
}

/** A usage error found after commander parsed the line (e.g. two inputs sharing a basename): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The stable code of a caught error: the reader's (NPY_*, SAFETENSORS_*), the weights loader's,
 * Node's (ENOENT, EACCES, EISDIR, …), E_SHAPE for a RangeError while computing (the input does not
 * fit), else the stage's fallback (E_READ, E_WEIGHTS, E_COMPUTE, E_WRITE).
 */
export function errorCode(error: unknown, stage: Stage): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
  // isNativeError + name, not instanceof: errors from the addon or another realm still classify.
  if (stage === 'compute' && util.types.isNativeError(error) && error.name === 'RangeError') return 'E_SHAPE';
  return FALLBACK_CODE[stage];
}

/**
 * A caught error as one line's worth of text about `path`: the message without a leading path
 * (the reader already prefixes it) and, for Node's fs errors, without the syscall noise.
 */
export function describeError(error: unknown, path: string): string {
  let message = util.types.isNativeError(error) ? error.message : String(error);
  if (message.startsWith(`${path}: `)) message = message.slice(path.length + 2);
  // "ENOENT: no such file or directory, open 'x.npy'" → "no such file or directory" (the line
  // already starts with the path and ends with the code)
  const sys = /^([A-Z][A-Z0-9]+): (.*?), \w+ '[^']*'(.*)$/.exec(message);
  if (sys) message = `${sys[2]}${sys[3]}`.replace(` (while writing ${path})`, '');
  return message.replace(/\s*\n\s*/g, ' ');
}

/** A caught error as a FileError. */
export function fileError(error: unknown, path: string, stage: Stage): FileError {
  if (error instanceof CliError) return error.errors[0];
  return { path, code: errorCode(error, stage), message: describeError(error, path) };
}

/** Prints a message line on stderr. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints a data line on stdout. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Prints the command's one JSON document on stdout, on one line (easy to collect from many jobs). */
export function printJson(document: object): void {
  process.stdout.write(`${JSON.stringify(document)}\n`);
}

/** Prints `path: message` on stderr — the one line a failed input gets. */
export function reportFileError(e: FileError): void {
  say(`${e.path}: ${e.message} [${e.code}]`);
}

/** `[2, 3, 4]` */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Milliseconds since `start`, rounded to 0.01 ms for the JSON document. */
export function msSince(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** Milliseconds as text: 3 significant figures below 100 ms, whole ms above. */
export function msText(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toPrecision(3)} ms`;
}
