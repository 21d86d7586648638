/**
 * `map`: the paper's attention-map picture — the normalised affinity of chosen query positions over
 * the key grid, as a heat-map PNG (one panel per position) and/or the raw rows as .npy.
 */
import type { Command } from 'commander';
import { affinityMap, info, writeNpy, type Affinity, type AffinityMapOptions, type Tensor } from '../../index';
import { writeFileAtomic } from '../../io/atomic-write';
import { readInput, refuseOverwritingInputs } from '../files';
import { defaultScaleUp, renderHeatmaps } from '../heatmap';
import { CliError, describeError, errorCode, EXIT_OK, fileError, print, printJson, say, shapeText, UsageError } from '../output';
import { parseAffinity, parseGrid, parsePositionList, parsePositiveInt, parsePositiveNumber } from '../options';
import { runCommand, type CommonOptions } from '../run';

interface MapOptions extends CommonOptions {
  query: string;
  key: string;
  affinity?: Affinity;
  scale?: number;
  concatWeights?: string;
  position: number[][];
  shape: number[];
  queryShape?: number[];
  png?: string;
  npy?: string;
  scaleUp?: number;
  columns?: number;
}

/** Adds `map` to the program. */
export function registerMap(program: Command): void {
  program
    .command('map')
    .summary('attention-map heat-map PNG of query positions over the key grid')
    .description(
      'Renders the normalised affinity of each --position (on the query grid) over the key grid --shape as a viridis heat map ' +
        '(each panel scaled to its own min..max; the query position marked in red), several positions as a grid of panels. ' +
        'query/key: [N, d] or [B, N, d] (batch 0 is used).',
    )
    .requiredOption('--query <file>', 'query .npy, [N, d] or [B, N, d]')
    .requiredOption('--key <file>', 'key .npy, [M, d] or [B, M, d]')
    .requiredOption('--position <i[,j[,k]]>', 'query position on the query grid (repeat for more panels)', parsePositionList)
    .requiredOption('--shape <H,W>', 'the key grid: L, H,W or T,H,W (its product is M)', parseGrid)
    .option('--query-shape <H,W>', 'the query grid when it differs from the key grid (its product is N)', parseGrid)
    .option('--affinity <name>', 'embedded_gaussian | gaussian | dot_product | concatenation', parseAffinity)
    .option('--scale <s>', 'multiplies q·k (e.g. 1/16)', parsePositiveNumber)
    .option('--concat-weights <file>', 'concatenation only: .npy [2, d], row 0 = w_q, row 1 = w_k')
    .option('--png <file>', 'write the heat map here')
    .option('--npy <file>', 'write the rows [P, M] here')
    .option('--scale-up <K>', 'pixels per key cell (default: panels at least 256 px wide)', parsePositiveInt)
    .option('--columns <C>', 'panels per row of the picture (default: up to 4)', parsePositiveInt)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: MapOptions, cmd: Command) => {
      await runCommand(cmd, 'map', opts.json === true, () => map(opts));
    });
}

/** Row-major index of `position` in `grid`, or a usage error naming the offending coordinate. */
function flatIndex(position: readonly number[], grid: readonly number[]): number {
  if (position.length !== grid.length) {
    throw new UsageError(`--position ${position.join(',')} has ${position.length} coordinate(s) but the query grid ${grid.join(',')} has ${grid.length}`);
  }
  let index = 0;
  for (let a = 0; a < grid.length; a++) {
    if (position[a] >= grid[a]) throw new UsageError(`--position ${position.join(',')} is outside the query grid ${grid.join(',')} (axis ${a} has ${grid[a]})`);
    index = index * grid[a] + position[a];
  }
  return index;
}

/** Where a query position falls on the key grid (scaled per axis when the grids differ in size). */
function markerOnKeyGrid(position: readonly number[], queryGrid: readonly number[], keyGrid: readonly number[]): number[] | null {
  if (queryGrid.length !== keyGrid.length) return null;
  return position.map((p, a) => Math.min(keyGrid[a] - 1, Math.floor(((p + 0.5) * keyGrid[a]) / queryGrid[a])));
}

/** Batch 0 of a [N, d] or [B, N, d] tensor, as [N, d]. */
function firstBatch(t: Tensor, file: string, role: string): Tensor {
  if (t.shape.length === 2) return t;
  if (t.shape.length === 3) {
    const [, n, d] = t.shape;
    return { data: t.data.subarray(0, n * d), shape: [n, d] };
  }
  throw new CliError({ path: file, code: 'E_SHAPE', message: `${role} must be [N, d] or [B, N, d], got ${shapeText(t.shape)}` });
}

async function map(opts: MapOptions): Promise<number> {
  if (opts.png === undefined && opts.npy === undefined) throw new UsageError('give --png <file>, --npy <file> or both');
  const affinity = opts.affinity ?? 'embedded_gaussian';
  if ((affinity === 'concatenation') !== (opts.concatWeights !== undefined)) throw new UsageError('--concat-weights goes with --affinity concatenation, and only with it');
  const inputs = [opts.query, opts.key, ...(opts.concatWeights === undefined ? [] : [opts.concatWeights])];
  if (opts.png !== undefined) refuseOverwritingInputs(opts.png, inputs, '--png');
  if (opts.npy !== undefined) refuseOverwritingInputs(opts.npy, inputs, '--npy');
  const keyGrid = opts.shape;
  const queryGrid = opts.queryShape ?? keyGrid;
  const indices = opts.position.map((p) => flatIndex(p, queryGrid));

  const query = firstBatch(readInput(opts.query), opts.query, 'query');
  const key = firstBatch(readInput(opts.key), opts.key, 'key');
  const [N, d] = query.shape;
  const M = key.shape[0];
  const product = (g: readonly number[]): number => g.reduce((a, b) => a * b, 1);
  if (product(keyGrid) !== M) throw new CliError({ path: opts.key, code: 'E_SHAPE', message: `has M = ${M} keys, but --shape ${keyGrid.join(',')} has ${product(keyGrid)} cells` });
  if (product(queryGrid) !== N) {
    const hint = opts.queryShape === undefined ? ' (pass --query-shape when the query grid differs from the key grid)' : '';
    throw new CliError({ path: opts.query, code: 'E_SHAPE', message: `has N = ${N} queries, but the query grid ${queryGrid.join(',')} has ${product(queryGrid)} cells${hint}` });
  }

  // Only the requested rows: P×M instead of the whole N×M map (each row depends on its query alone).
  const selected = new Float32Array(indices.length * d);
  indices.forEach((n, p) => selected.set(query.data.subarray(n * d, (n + 1) * d), p * d));
  const options: AffinityMapOptions = { affinity };
  if (opts.scale !== undefined) options.scale = opts.scale;
  if (opts.concatWeights !== undefined) {
    const w = readInput(opts.concatWeights);
    const half = Math.floor(w.data.length / 2);
    options.concatWeights = { query: w.data.slice(0, half), key: w.data.slice(half, 2 * half) };
  }
  let rows: Tensor;
  try {
    rows = affinityMap({ data: selected, shape: [indices.length, d] }, key, options);
  } catch (error) {
    throw new CliError({ path: opts.query, code: errorCode(error, 'compute'), message: `${describeError(error, opts.query)} (query ${shapeText(query.shape)}, key ${shapeText(key.shape)})` });
  }

  const keys = rows.shape[1];
  const panels = indices.map((_, p) => ({ values: rows.data.subarray(p * keys, (p + 1) * keys), marker: markerOnKeyGrid(opts.position[p], queryGrid, keyGrid) }));
  const scaleUp = opts.scaleUp ?? defaultScaleUp(keyGrid);
  const { raster, layout, ranges } = renderHeatmaps(panels, keyGrid, scaleUp, opts.columns ?? 4);
  if (opts.npy !== undefined) {
    try {
      writeNpy(opts.npy, rows);
    } catch (error) {
      throw new CliError(fileError(error, opts.npy, 'write'));
    }
  }
  if (opts.png !== undefined) {
    try {
      writeFileAtomic(opts.png, raster.encode());
    } catch (error) {
      throw new CliError(fileError(error, opts.png, 'write'));
    }
  }

  const panelInfo = opts.position.map((position, p) => ({ position, queryIndex: indices[p], min: ranges[p].min, max: ranges[p].max, argmax: argmaxOnGrid(panels[p].values, keyGrid) }));
  if (opts.json === true) {
    printJson({
      command: 'map', ok: true,
      png: opts.png === undefined ? null : { path: opts.png, width: layout.width, height: layout.height },
      npy: opts.npy === undefined ? null : { path: opts.npy, shape: rows.shape },
      affinity, scale: opts.scale ?? 1, query: { path: opts.query, shape: query.shape, grid: queryGrid }, key: { path: opts.key, shape: key.shape, grid: keyGrid },
      layout, panels: panelInfo, isa: info().isa,
    });
  } else {
    if (opts.png !== undefined) print(`${opts.png} ${layout.width}×${layout.height}`);
    if (opts.npy !== undefined) print(`${opts.npy} ${shapeText(rows.shape)}`);
    for (const p of panelInfo) say(`map: query (${p.position.join(', ')}): affinity ${p.min.toExponential(3)} … ${p.max.toExponential(3)}, strongest at key (${p.argmax.join(', ')})`);
  }
  return EXIT_OK;
}

function argmaxOnGrid(values: Float32Array, grid: readonly number[]): number[] {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  const coords: number[] = [];
  for (let a = grid.length - 1; a >= 0; a--) {
    coords.unshift(best % grid[a]);
    best = Math.floor(best / grid[a]);
  }
  return coords;
}
