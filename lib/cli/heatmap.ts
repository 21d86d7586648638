/**
 * Lays out and draws attention-map panels: one panel per query position, each the normalised
 * affinity over the key grid in viridis (scaled to that panel's own min..max), with the query's
 * position marked; 3-D grids show their T frames side by side inside the panel.
 */
import { MARKER_RGB, viridis } from './colormap';
import { Raster } from './png';

/** One panel: M values over the key grid, and where to put the marker (key-grid coordinates). */
export interface Panel {
  values: Float32Array;
  marker: readonly number[] | null;
}

/** The picture's geometry, as reported to the user. */
export interface HeatmapLayout {
  width: number;
  height: number;
  panelWidth: number;
  panelHeight: number;
  scaleUp: number;
  columns: number;
  rows: number;
}

const PANEL_GAP = 8;
const MIN_PANEL_WIDTH = 256;
const MIN_STRIP_HEIGHT = 32; // a 1-D grid is one row of cells: keep the strip visible
const WHITE: readonly [number, number, number] = [255, 255, 255];

/**
 * The default nearest-neighbour scale: the smallest integer that makes a panel at least 256 px wide.
 * @param grid the key grid, [L], [H, W] or [T, H, W]
 */
export function defaultScaleUp(grid: readonly number[]): number {
  const cells = grid.length === 3 ? grid[0] * grid[2] : grid[grid.length - 1];
  return Math.max(1, Math.ceil(MIN_PANEL_WIDTH / cells));
}

/**
 * Draws the panels into one raster.
 * @param grid the key grid; each panel has its product values, row-major
 * @param scaleUp pixels per key cell
 * @param columns panels per row of the picture
 */
export function renderHeatmaps(panels: readonly Panel[], grid: readonly number[], scaleUp: number, columns: number): { raster: Raster; layout: HeatmapLayout; ranges: { min: number; max: number }[] } {
  const [T, H, W] = grid.length === 1 ? [1, 1, grid[0]] : grid.length === 2 ? [1, grid[0], grid[1]] : [grid[0], grid[1], grid[2]];
  const s = scaleUp;
  const cellH = H === 1 && T === 1 ? Math.max(s, MIN_STRIP_HEIGHT) : s;
  const frameGap = T > 1 ? Math.max(2, Math.round(s / 2)) : 0;
  const frameW = W * s;
  const panelWidth = T * frameW + (T - 1) * frameGap;
  const panelHeight = H * cellH;
  const cols = Math.max(1, Math.min(columns, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const width = cols * panelWidth + (cols - 1) * PANEL_GAP;
  const height = rows * panelHeight + (rows - 1) * PANEL_GAP;
  const raster = new Raster(width, height, WHITE);
  const ranges = panels.map((panel, p) => {
    const x0 = (p % cols) * (panelWidth + PANEL_GAP);
    const y0 = Math.floor(p / cols) * (panelHeight + PANEL_GAP);
    const { min, max } = finiteRange(panel.values);
    const span = max - min;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < W; j++) {
          const v = panel.values[(t * H + i) * W + j];
          // A flat panel (e.g. uniform attention) is drawn mid-scale rather than dividing by 0.
          const rgb = viridis(span > 0 ? (v - min) / span : 0.5);
          raster.fillRect(x0 + t * (frameW + frameGap) + j * s, y0 + i * cellH, s, cellH, rgb);
        }
      }
    }
    if (panel.marker !== null) {
      const [mt, mi, mj] = panel.marker.length === 1 ? [0, 0, panel.marker[0]] : panel.marker.length === 2 ? [0, panel.marker[0], panel.marker[1]] : panel.marker;
      const cx = x0 + mt * (frameW + frameGap) + (mj + 0.5) * s;
      const cy = y0 + (mi + 0.5) * cellH;
      raster.dot(cx, cy, Math.max(2.5, Math.min(8, s * 0.35)), MARKER_RGB, WHITE);
    }
    return { min, max };
  });
  return { raster, layout: { width, height, panelWidth, panelHeight, scaleUp: s, columns: cols, rows }, ranges };
}

function finiteRange(values: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}
