/**
 * File handling shared by the commands: reading tensors with the file named in every error, and
 * refusing an output that is one of the inputs. (Atomic writes of non-tensor files, the PNG, are
 * io/atomic-write.ts's writeFileAtomic, the one the .npy writer uses.)
 */
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
