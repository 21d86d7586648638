/**
 * Parsers for option values (commander argParsers). Each throws commander's InvalidArgumentError,
 * which commander turns into a usage error naming the option — the CLI then exits 2.
 */
import { InvalidArgumentError } from 'commander';
import { MAX_THREADS, MIN_THREADS } from '../core/limits';
import { AFFINITIES, type Affinity } from '../core/tensor';

/** The paper's four affinities, in the order the README lists them (the package's one list). */
export const AFFINITY_NAMES: readonly Affinity[] = AFFINITIES;

/**
 * An integer within [min, max].
 * @example parseIntIn('4', 1, 1024) // 4
 */
export function parseIntIn(text: string, min: number, max: number): number {
  const n = /^\s*[+]?\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

/** `--threads T`: 1–1024, the range the native calls accept. */
export function parseThreads(text: string): number {
  return parseIntIn(text, MIN_THREADS, MAX_THREADS);
}

/** A positive integer (e.g. --concurrency, --heads, --scale-up). */
export function parsePositiveInt(text: string): number {
  return parseIntIn(text, 1, Number.MAX_SAFE_INTEGER);
}

/**
 * A finite number > 0 (e.g. attend's --scale). Accepts `0.125`, `1e-3` and `1/8`, since scales are
 * usually written as 1/√d.
 * @example parsePositiveNumber('1/8') // 0.125
 */
export function parsePositiveNumber(text: string): number {
  const fraction = /^\s*([^/]+)\/([^/]+)\s*$/.exec(text);
  const n = fraction ? Number(fraction[1]) / Number(fraction[2]) : text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a finite number > 0 (e.g. 0.125 or 1/8), got '${text}'`);
  return n;
}

/** One of the four affinity names. */
export function parseAffinity(text: string): Affinity {
  if (!(AFFINITY_NAMES as readonly string[]).includes(text)) throw new InvalidArgumentError(`expected one of ${AFFINITY_NAMES.join(', ')}, got '${text}'`);
  return text as Affinity;
}

/** A shard of a batch: `i/n` with 0 ≤ i < n. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * `--shard i/n` (0-based): the batch keeps the inputs whose position in the sorted list is ≡ i mod n.
 * @example parseShard('1/3') // { index: 1, count: 3 }
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new InvalidArgumentError(`expected i/n with 0 ≤ i < n (0-based, e.g. 0/4 … 3/4), got '${text}'`);
  }
  return { index, count };
}

/**
 * A grid shape `L`, `H,W` or `T,H,W` of positive integers (also accepts `x` as separator).
 * @example parseGrid('32,48') // [32, 48]
 */
export function parseGrid(text: string): number[] {
  const parts = text.split(/[,x×]/).map((s) => s.trim());
  const dims = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (dims.length < 1 || dims.length > 3 || dims.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new InvalidArgumentError(`expected 1 to 3 positive integers separated by commas (L, H,W or T,H,W), got '${text}'`);
  }
  return dims;
}

/**
 * A position on a grid, `i`, `i,j` or `i,j,k` (0-based, non-negative integers); repeatable, so it
 * accumulates into a list.
 * @example parsePositionList('3,4', [[0, 0]]) // [[0, 0], [3, 4]]
 */
export function parsePositionList(text: string, previous: number[][] | undefined): number[][] {
  const parts = text.split(',').map((s) => s.trim());
  const coords = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (coords.length < 1 || coords.length > 3 || coords.some((c) => !Number.isSafeInteger(c))) {
    throw new InvalidArgumentError(`expected 1 to 3 non-negative integers separated by commas (i, i,j or i,j,k), got '${text}'`);
  }
  return [...(previous ?? []), coords];
}
