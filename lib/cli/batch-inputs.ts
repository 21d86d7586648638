/**
 * The input list of a batch, the same on every machine given the same files: the named files plus
 * every `*.npy` directly inside the named folders, deduplicated by resolved path, sorted by file
 * name, and cut into shards by position.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolvedPath } from './files';
import { UsageError } from './output';
import type { Shard } from './options';

/** One input of a batch and where its output goes. */
export interface BatchItem {
  input: string;
  output: string;
  /** Position in the sorted list of all inputs (before sharding); decides the shard. */
  index: number;
}

/** Every input the arguments name, unsorted (a missing path is kept: it fails later, with its name). */
export function collectInputs(args: readonly string[]): string[] {
  const inputs: string[] = [];
  for (const arg of args) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(arg);
    } catch {
      stat = undefined; // reported as that input's ENOENT/EACCES when it is processed
    }
    if (stat === undefined || !stat.isDirectory()) {
      inputs.push(arg);
      continue;
    }
    for (const name of fs.readdirSync(arg)) {
      if (!name.toLowerCase().endsWith('.npy')) continue;
      const file = path.join(arg, name);
      try {
        if (fs.statSync(file).isFile()) inputs.push(file);
      } catch {
        // A dangling symlink in a folder is not an input anyone asked for by name.
      }
    }
  }
  return inputs;
}

/** Code-unit order, not the locale's, so every machine sorts the same way. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The batch plan: all inputs in order with their outputs, and the ones this shard takes
 * (position % n === i).
 * @throws {UsageError} when two inputs share a file name (their outputs would collide) or an
 *   input would be its own output (the out-dir is its folder)
 */
export function planBatch(args: readonly string[], outDir: string, shard: Shard | undefined): { all: BatchItem[]; selected: BatchItem[] } {
  const byResolved = new Map<string, string>();
  for (const input of collectInputs(args)) {
    const key = resolvedPath(input);
    if (!byResolved.has(key)) byResolved.set(key, input);
  }
  // Sorted by file name (unique, see below), so the order — and so the shards — do not depend on
  // where the folder is mounted or how the arguments were spelled.
  const entries = [...byResolved.entries()].sort(([ra, a], [rb, b]) => compare(path.basename(a), path.basename(b)) || compare(ra, rb));
  const seen = new Map<string, string>();
  const all: BatchItem[] = [];
  const outResolved = resolvedPath(outDir);
  for (const [resolved, input] of entries) {
    const name = path.basename(input);
    const other = seen.get(name);
    if (other !== undefined) throw new UsageError(`inputs ${other} and ${input} share the file name ${name}, so both would be written to ${path.join(outDir, name)}; process them in separate batches`);
    seen.set(name, input);
    if (path.join(outResolved, name) === resolved) throw new UsageError(`input ${input} would be overwritten by its own output; choose an --out-dir other than its folder`);
    all.push({ input, output: path.join(outDir, name), index: all.length });
  }
  const selected = shard === undefined ? all : all.filter((item) => item.index % shard.count === shard.index);
  return { all, selected };
}
