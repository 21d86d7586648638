/**
 * Errors for malformed or unsupported tensor files.
 *
 * Every error thrown while decoding a file carries a stable `code` (so callers and tests can branch
 * without matching message text) and the file path (or a `<bytes>`-style label when decoding an
 * in-memory buffer), which is also the first thing in the message so a log line alone says which
 * file is broken.
 */

/** Stable machine-readable codes for {@link IoFormatError} and {@link IoRangeError}. */
export type IoErrorCode =
  | 'NPY_BAD_MAGIC'
  | 'NPY_BAD_VERSION'
  | 'NPY_TRUNCATED'
  | 'NPY_HEADER_TOO_LARGE'
  | 'NPY_BAD_HEADER'
  | 'NPY_BAD_SHAPE'
  | 'NPY_UNSUPPORTED_DTYPE'
  | 'NPY_BIG_ENDIAN'
  | 'NPY_FORTRAN_ORDER'
  | 'NPY_TRAILING_DATA'
  | 'NPY_ZERO_SIZE'
  | 'NPY_TOO_LARGE'
  | 'SAFETENSORS_TRUNCATED'
  | 'SAFETENSORS_HEADER_TOO_LARGE'
  | 'SAFETENSORS_BAD_HEADER'
  | 'SAFETENSORS_BAD_ENTRY'
  | 'SAFETENSORS_BAD_METADATA'
  | 'SAFETENSORS_BAD_OFFSETS'
  | 'SAFETENSORS_OVERLAP'
  | 'SAFETENSORS_TOO_LARGE'
  | 'NOT_A_FILE';

/** Every code, for tests and exhaustive switches. */
export const IO_ERROR_CODES: readonly IoErrorCode[] = [
  'NPY_BAD_MAGIC',
  'NPY_BAD_VERSION',
  'NPY_TRUNCATED',
  'NPY_HEADER_TOO_LARGE',
  'NPY_BAD_HEADER',
  'NPY_BAD_SHAPE',
  'NPY_UNSUPPORTED_DTYPE',
  'NPY_BIG_ENDIAN',
  'NPY_FORTRAN_ORDER',
  'NPY_TRAILING_DATA',
  'NPY_ZERO_SIZE',
  'NPY_TOO_LARGE',
  'SAFETENSORS_TRUNCATED',
  'SAFETENSORS_HEADER_TOO_LARGE',
  'SAFETENSORS_BAD_HEADER',
  'SAFETENSORS_BAD_ENTRY',
  'SAFETENSORS_BAD_METADATA',
  'SAFETENSORS_BAD_OFFSETS',
  'SAFETENSORS_OVERLAP',
  'SAFETENSORS_TOO_LARGE',
  'NOT_A_FILE',
];

const CODE_SET: ReadonlySet<IoErrorCode> = new Set(IO_ERROR_CODES);

/** A file that is malformed, or well-formed but in a variant this package does not read. */
export class IoFormatError extends Error {
  override readonly name = 'IoFormatError';
  /** Stable identifier of the problem; see {@link IoErrorCode}. */
  readonly code: IoErrorCode;
  /** The file path, or the label given for an in-memory buffer. */
  readonly path: string;

  /**
   * @param code Stable identifier of the problem.
   * @param path File path or buffer label; prefixed to the message.
   * @param detail What exactly is wrong, written for a human.
   */
  constructor(code: IoErrorCode, path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.code = code;
    this.path = path;
  }
}

/**
 * A well-formed file whose sizes this package cannot represent (zero-size arrays, more elements
 * than a Float32Array holds). A RangeError, because the file is fine and only our limits are not.
 */
export class IoRangeError extends RangeError {
  override readonly name = 'IoRangeError';
  /** Stable identifier of the problem; see {@link IoErrorCode}. */
  readonly code: IoErrorCode;
  /** The file path, or the label given for an in-memory buffer. */
  readonly path: string;

  /**
   * @param code Stable identifier of the problem.
   * @param path File path or buffer label; prefixed to the message.
   * @param detail What exactly is wrong, written for a human.
   */
  constructor(code: IoErrorCode, path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.code = code;
    this.path = path;
  }
}

/**
 * Tells whether a caught value is one of this module's decoding errors.
 *
 * @param e Any caught value.
 * @returns True for {@link IoFormatError} and {@link IoRangeError}.
 * @throws Never.
 * @example
 * try { readNpy(p); } catch (e) { if (isIoError(e) && e.code === 'NPY_TRUNCATED') retry(); else throw e; }
 */
export function isIoError(e: unknown): e is IoFormatError | IoRangeError {
  // Checked by shape rather than instanceof, so it also holds across realms and duplicate module
  // instances (e.g. Jest's per-file module registries).
  if (typeof e !== 'object' || e === null) return false;
  const { name, code, path } = e as { name?: unknown; code?: unknown; path?: unknown };
  return (name === 'IoFormatError' || name === 'IoRangeError') && CODE_SET.has(code as IoErrorCode) && typeof path === 'string';
}
