/**
 * `map`: the PNG decodes (pngjs) to the size the command reports, several positions make panels,
 * and --npy holds exactly affinityMap()'s rows for those positions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { affinityMap, readNpy } from '../../lib/index';
import { cli, cliJson, sameBits, tempDir, writeRandomNpy } from './helpers';

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  writeRandomNpy(path.join(dir, 'q.npy'), [1, 12 * 16, 8], 21); // a 12×16 query grid
  writeRandomNpy(path.join(dir, 'k.npy'), [1, 6 * 8, 8], 22); // keys sub-sampled to 6×8
});
afterAll(() => cleanup());

function decode(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

it('one position: a PNG of the reported size, at least 256 px wide', () => {
  const r = cli(['map', '--query', 'q.npy', '--key', 'k.npy', '--shape', '6,8', '--query-shape', '12,16', '--position', '3,5', '--png', 'one.png'], dir);
  expect(r.code).toBe(0);
  const m = /^one\.png (\d+)×(\d+)$/m.exec(r.stdout);
  expect(m).not.toBeNull();
  const png = decode(path.join(dir, 'one.png'));
  expect([png.width, png.height]).toEqual([Number(m![1]), Number(m![2])]);
  expect(png.width).toBeGreaterThanOrEqual(256);
  expect(png.width / png.height).toBeCloseTo(8 / 6, 5);
});

it('several positions: panels side by side, --json layout matches the PNG, --npy rows match affinityMap', () => {
  const positions = ['0,0', '5,7', '11,15'];
  const args = ['map', '--query', 'q.npy', '--key', 'k.npy', '--shape', '6,8', '--query-shape', '12,16', '--scale', '1/4', '--png', 'three.png', '--npy', 'rows.npy', '--scale-up', '10'];
  for (const p of positions) args.push('--position', p);
  const r = cliJson(args, dir);
  expect(r.code).toBe(0);
  expect(r.json).toMatchObject({ command: 'map', ok: true, png: { path: 'three.png' }, npy: { path: 'rows.npy', shape: [3, 48] }, layout: { columns: 3, rows: 1, scaleUp: 10, panelWidth: 80, panelHeight: 60 } });
  expect(r.json.panels).toHaveLength(3);
  const png = decode(path.join(dir, 'three.png'));
  expect([png.width, png.height]).toEqual([r.json.png.width, r.json.png.height]);
  expect(png.width).toBeGreaterThan(3 * 80);
  expect(png.height).toBe(60);
  // The gap between panels is white; the panels are not.
  const pixel = (x: number, y: number): number[] => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
  expect(pixel(82, 30)).toEqual([255, 255, 255]);
  expect(pixel(40, 5)).not.toEqual([255, 255, 255]);

  const q = readNpy(path.join(dir, 'q.npy'));
  const k = readNpy(path.join(dir, 'k.npy'));
  const full = affinityMap({ data: q.data, shape: [192, 8] }, { data: k.data, shape: [48, 8] }, { scale: 0.25 });
  const rows = [0 * 16 + 0, 5 * 16 + 7, 11 * 16 + 15].map((n) => Array.from(full.data.subarray(n * 48, (n + 1) * 48)));
  const expected = { data: Float32Array.from(rows.flat()), shape: [3, 48] };
  expect(sameBits(readNpy(path.join(dir, 'rows.npy')), expected)).toBe(true);
});

it('wrong grids are reported: a key count that does not fit --shape (exit 1), a position off the grid (exit 2)', () => {
  const shape = cliJson(['map', '--query', 'q.npy', '--key', 'k.npy', '--shape', '6,9', '--query-shape', '12,16', '--position', '1,1', '--png', 'bad.png'], dir);
  expect(shape.code).toBe(1);
  expect(shape.json.errors).toEqual([expect.objectContaining({ path: 'k.npy', code: 'E_SHAPE' })]);
  const off = cli(['map', '--query', 'q.npy', '--key', 'k.npy', '--shape', '6,8', '--query-shape', '12,16', '--position', '12,0', '--png', 'bad.png'], dir);
  expect(off.code).toBe(2);
  expect(off.stderr).toMatch(/outside the query grid/);
  expect(fs.existsSync(path.join(dir, 'bad.png'))).toBe(false);
});
