/**
 * A random-access byte source, so one decoder serves both in-memory buffers and files.
 *
 * Reading a file through a descriptor (instead of fs.readFileSync) lets the decoders validate the
 * header against the real file size before allocating anything for the data, and lets a large file
 * be decoded without holding a second, raw copy of it in memory.
 */
import * as fs from 'node:fs';
import { IoFormatError } from './io-error';

/** Random-access reads from a buffer or an open file. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Copies bytes starting at `position` into all of `target`.
   * Returns how many bytes were copied: fewer than target.length only at the end of the source
   * (or when a file shrank while being read), so callers report truncation themselves.
   */
  readInto(position: number, target: Uint8Array): number;
}

/**
 * Wraps an in-memory buffer. Reads copy, so decoded tensors never alias the caller's bytes.
 *
 * @param bytes The whole encoded file.
 * @returns A source over `bytes`.
 * @throws Never.
 * @example
 * const src = bytesSource(new Uint8Array([1, 2, 3]));
 */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    readInto(position: number, target: Uint8Array): number {
      const n = Math.max(0, Math.min(target.length, bytes.length - position));
      target.set(bytes.subarray(position, position + n));
      return n;
    },
  };
}

/** A directory or a device has no meaningful size to validate headers against: NOT_A_FILE. */
function requireRegularFile(stat: fs.Stats, path: string): void {
  if (!stat.isFile()) {
    throw new IoFormatError('NOT_A_FILE', path, stat.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
  }
}

// fs.readSync rejects lengths above 2^31 - 1; stay well below it.
const MAX_READ = 1 << 30;

/**
 * Opens `path` read-only, runs `fn` with a source over it, and always closes the file.
 *
 * @param path File to read; must be a regular file.
 * @param fn Decoder to run; its result is returned.
 * @returns Whatever `fn` returns.
 * @throws Node's own error (e.g. code 'ENOENT', whose message names the path) when the file
 *   cannot be opened; {@link IoFormatError} with code 'NOT_A_FILE' for directories, FIFOs, devices.
 * @example
 * const size = withFileSource('/tmp/a.npy', (src) => src.size);
 */
export function withFileSource<T>(path: string, fn: (src: ByteSource) => T): T {
  const fd = fs.openSync(path, 'r');
  try {
    const stat = fs.fstatSync(fd);
    requireRegularFile(stat, path);
    const src: ByteSource = {
      size: stat.size,
      readInto(position: number, target: Uint8Array): number {
        let done = 0;
        while (done < target.length) {
          const want = Math.min(MAX_READ, target.length - done);
          const got = fs.readSync(fd, target, done, want, position + done);
          if (got === 0) break;
          done += got;
        }
        return done;
      },
    };
    return fn(src);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A source `size` bytes long of which only the first `bytes.length` are at hand (a header read
 * ahead): reads past them come back short, as reads of a file that shrank do.
 *
 * @example
 * const src = prefixSource(headerBytes, fileSize);
 */
export function prefixSource(bytes: Uint8Array, size: number): ByteSource {
  return { size, readInto: bytesSource(bytes).readInto };
}

/** Awaited reads from an open regular file. */
export interface AsyncFileSource {
  /** Total size in bytes (when opened). */
  readonly size: number;
  /** `length` bytes from `position` (fewer only at the end of the file, or if it shrank). */
  read(position: number, length: number): Promise<Uint8Array>;
}

/**
 * withFileSource without blocking the event loop (fs.promises): refuses what it refuses, with the
 * same errors, and always closes the file.
 *
 * @param path File to read; must be a regular file.
 * @param fn Decoder to run; its result is returned.
 * @returns Whatever `fn` resolves to.
 * @throws Node's own error (e.g. 'ENOENT') when it cannot be opened; {@link IoFormatError}
 *   'NOT_A_FILE' for directories, FIFOs, devices.
 * @example
 * const size = await withFileSourceAsync('/tmp/m.safetensors', async (file) => file.size);
 */
export async function withFileSourceAsync<T>(path: string, fn: (file: AsyncFileSource) => Promise<T>): Promise<T> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const stat = await handle.stat();
    requireRegularFile(stat, path);
    return await fn({
      size: stat.size,
      async read(position: number, length: number): Promise<Uint8Array> {
        const target = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(target, done, Math.min(MAX_READ, length - done), position + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === length ? target : target.subarray(0, done);
      },
    });
  } finally {
    await handle.close();
  }
}
