/**
 * The attention-map picture's parts: the viridis stops and their interpolation, the raster and its
 * PNG encoding (decoded back with pngjs), and the panel layout and colouring of renderHeatmaps.
 */
import { PNG } from 'pngjs';
import { MARKER_RGB, viridis } from '../../lib/cli/colormap';
import { defaultScaleUp, renderHeatmaps } from '../../lib/cli/heatmap';
import { Raster } from '../../lib/cli/png';

const pixel = (r: Raster, x: number, y: number): number[] => Array.from(r.data.subarray((y * r.width + x) * 4, (y * r.width + x) * 4 + 3));

describe('viridis', () => {
  test('the end stops, the midpoint stop, an interpolated value, clamping and NaN', () => {
    expect(viridis(0)).toEqual([68, 1, 84]);
    expect(viridis(1)).toEqual([253, 231, 37]);
    expect(viridis(0.5)).toEqual([38, 130, 142]); // stop 4 of 0..8
    expect(viridis(1 / 16)).toEqual([70, 21, 102]); // halfway between stops 0 and 1, rounded
    expect(viridis(-3)).toEqual(viridis(0));
    expect(viridis(7)).toEqual(viridis(1));
    expect(viridis(Number.NaN)).toEqual(viridis(0));
  });

  test('the query marker is red enough to stand out on every shade (no viridis stop is red)', () => {
    for (let t = 0; t <= 1; t += 1 / 64) {
      const [r, g] = viridis(t);
      expect(MARKER_RGB[0] - r > 0 || MARKER_RGB[1] - g < -100).toBe(true);
    }
  });
});

describe('Raster', () => {
  test('fills, clips outside pixels, and encodes to a PNG that decodes to the same RGB', () => {
    const r = new Raster(5, 3, [10, 20, 30]);
    r.fillRect(1, 1, 10, 10, [200, 100, 0]); // clipped at the edges
    r.set(-1, 0, [1, 2, 3]);
    r.set(4, 0, [9, 8, 7]);
    const png = PNG.sync.read(r.encode());
    expect([png.width, png.height]).toEqual([5, 3]);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 5; x++) {
        const want = x === 4 && y === 0 ? [9, 8, 7] : x >= 1 && y >= 1 ? [200, 100, 0] : [10, 20, 30];
        expect([x, y, Array.from(png.data.subarray((y * 5 + x) * 4, (y * 5 + x) * 4 + 4))]).toEqual([x, y, [...want, 255]]);
      }
    }
  });

  test('a dot is filled inside its radius and ringed just outside it', () => {
    const r = new Raster(21, 21);
    r.dot(10.5, 10.5, 4, [255, 0, 0], [0, 0, 255]);
    expect(pixel(r, 10, 10)).toEqual([255, 0, 0]);
    expect(pixel(r, 10, 15)).toEqual([0, 0, 255]); // 5 px below the centre: in the ring (4 < d ≤ 5.5)
    expect(pixel(r, 10, 18)).toEqual([255, 255, 255]);
  });
});

describe('renderHeatmaps', () => {
  test('the default scale makes a panel at least 256 px wide', () => {
    expect(defaultScaleUp([10])).toBe(26);
    expect(defaultScaleUp([7, 300])).toBe(1);
    expect(defaultScaleUp([2, 5, 8])).toBe(16); // T·W = 16 cells across
  });

  test('two 2-D panels side by side: geometry, per-panel colour ranges, the marker, the gap', () => {
    const grid = [2, 3];
    const a = { values: Float32Array.from([0, 1, 2, 3, 4, 5]), marker: [1, 2] };
    const b = { values: Float32Array.from([7, 7, 7, 7, 7, Number.NaN]), marker: null }; // flat: mid-scale
    const { raster, layout, ranges } = renderHeatmaps([a, b], grid, 10, 4);
    expect(layout).toEqual({ width: 2 * 30 + 8, height: 20, panelWidth: 30, panelHeight: 20, scaleUp: 10, columns: 2, rows: 1 });
    expect(ranges).toEqual([{ min: 0, max: 5 }, { min: 7, max: 7 }]);
    expect(pixel(raster, 0, 0)).toEqual(viridis(0)); // a[0,0] = min
    expect(pixel(raster, 19, 0)).toEqual(viridis(1 / 5)); // a[0,1] = 1 of 0..5
    expect(pixel(raster, 25, 15)).toEqual(Array.from(MARKER_RGB)); // the marker, centred on cell a[1,2]
    expect(pixel(raster, 29, 19)).toEqual(viridis(1)); // the corner of that cell, outside the marker
    expect(pixel(raster, 33, 5)).toEqual([255, 255, 255]); // the gap between the panels
    expect(pixel(raster, 38, 0)).toEqual(viridis(0.5)); // b is flat: drawn mid-scale
  });

  test('a 1-D grid is a strip at least 32 px tall; 3-D frames sit side by side with a gap', () => {
    const strip = renderHeatmaps([{ values: new Float32Array(4), marker: null }], [4], 2, 1);
    expect([strip.layout.panelWidth, strip.layout.panelHeight]).toEqual([8, 32]);
    const frames = renderHeatmaps([{ values: Float32Array.from({ length: 2 * 1 * 2 }, (_, i) => i), marker: [1, 0, 1] }], [2, 1, 2], 4, 1);
    expect(frames.layout.panelWidth).toBe(2 * 8 + 2); // two frames of W·s = 8 px and a 2 px gap
    expect(pixel(frames.raster, 8, 0)).toEqual([255, 255, 255]); // the frame gap
    expect(pixel(frames.raster, 10, 0)).toEqual(viridis(2 / 3)); // frame 1, j = 0
  });
});
