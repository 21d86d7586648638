/**
 * File handling shared by the commands: reading tensors with the file named in every error,
 * refusing an output that is one of the inputs, and atomic writes of non-tensor files (PNG).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy, type Tensor } from '../index';
import { CliError, fileError, UsageError } from './output';

/**
 * Reads a .npy input; any failure becomes a CliError naming the file, with the reader's code
 * (NPY_TRUNCATED, …), Node's (ENOENT, …) or E_READ.
 */
export function readInput(file: string): Tensor {
  try {
    return readNpy(file);
  } catch (error) {
    throw new CliError(fileError(error, file, 'read'));
  }
}

/** The path a file will be known by once symlinks are followed (itself if it does not exist yet). */
export function resolvedPath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    // A missing output: resolve its folder instead, so `out/../in.npy` still compares equal.
    try {
      return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * Refuses (as a usage error) an output path that resolves to one of the inputs: an input is never
 * overwritten.
 */
export function refuseOverwritingInputs(output: string, inputs: readonly string[], option: string): void {
  const target = resolvedPath(output);
  for (const input of inputs) {
    if (resolvedPath(input) === target) throw new UsageError(`${option} ${output} is the input ${input}; refusing to overwrite an input`);
  }
}

/**
 * Writes bytes atomically: a hidden temporary file in the same folder, fsync, rename. A reader (or
 * a Ctrl-C) never sees a partial file; on failure the temporary file is removed.
 */
export function writeFileAtomically(file: string, bytes: Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      // writeSync may write less than asked; loop until every byte is out.
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
