/**
 * Whole-or-nothing file replacement.
 *
 * Writing straight to the target would leave a truncated file behind if the process dies or the
 * disk fills mid-write, and readers could observe a half-written file. Instead the bytes go to a
 * temporary file in the same directory (so the final rename stays on one filesystem, where it is
 * atomic), are flushed to disk, and only then renamed over the target.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import * as util from 'node:util';
import { describeType } from './args';

// fs.writeSync rejects lengths above 2^31 - 1; stay well below it.
const MAX_WRITE = 1 << 30;

/**
 * The temporary name used next to `path`: hidden, tagged with the pid and random bytes so
 * concurrent writers (threads, processes) never share one.
 *
 * @param path The target file.
 * @returns A sibling path ending in `.tmp`.
 * @throws Never.
 * @example
 * tempPathFor('/d/a.npy'); // '/d/.a.npy.12345.9f86d081884c.tmp'
 */
export function tempPathFor(path: string): string {
  const dir = nodePath.dirname(path);
  const base = nodePath.basename(path);
  return nodePath.join(dir, `.${base}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replaces the file at `path` with `bytes` atomically: readers see the old file or the new one,
 * never a partial one. The temporary file is removed on any error. The new file gets the default
 * mode (0o666 minus the umask), not the replaced file's mode.
 *
 * @param path Target file; its directory must exist.
 * @param bytes Complete new contents.
 * @returns Nothing.
 * @throws TypeError if path is not a non-empty string or bytes is not a Uint8Array; Node's error
 *   (e.g. ENOENT for a missing directory, EISDIR if path is a directory) if any step fails.
 * @example
 * writeFileAtomic('/tmp/out.bin', new Uint8Array([1, 2, 3]));
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`writeFileAtomic: path must be a non-empty string, got ${path === '' ? 'an empty string' : describeType(path)}`);
  }
  if (!util.types.isUint8Array(bytes)) {
    throw new TypeError(`writeFileAtomic: bytes must be a Uint8Array, got ${describeType(bytes)}`);
  }
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    // 'wx' fails rather than reuse a file someone else created under the same name.
    fd = fs.openSync(tmp, 'wx');
    for (let done = 0; done < bytes.length; ) {
      const n = fs.writeSync(fd, bytes, done, Math.min(MAX_WRITE, bytes.length - done));
      if (n <= 0) throw new Error(`writeFileAtomic: ${tmp}: write made no progress`);
      done += n;
    }
    // Without the fsync a crash after the rename could leave the new name pointing at no data.
    fs.fsyncSync(fd);
    // Forget the descriptor before closing: close releases it even when it reports an error, and
    // closing it again could close an unrelated file that reused the number.
    const open = fd;
    fd = undefined;
    fs.closeSync(open);
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // The original error matters more than a failed close.
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Most likely it was never created (e.g. the directory is missing).
    }
    // Node's message names the temporary file; name the target too, keeping code/errno/syscall.
    // isNativeError, not instanceof: fs errors come from another realm under Jest.
    if (util.types.isNativeError(err) && !err.message.includes(path)) err.message += ` (while writing ${path})`;
    throw err;
  }
  syncDirectory(nodePath.dirname(path));
}

/** Makes the rename itself durable. Best effort: some platforms cannot open directories. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // The data is already in place; a failed directory sync only weakens crash durability.
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // Nothing useful to do.
      }
    }
  }
}
