/**
 * The heat-map colours: viridis (matplotlib's default), perceptually ordered and readable in grey
 * and by colour-blind viewers, approximated by nine stops with linear interpolation between them.
 */

// viridis at 0, 1/8, …, 1 (matplotlib's _viridis_data sampled at those points)
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 73, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [110, 206, 88],
  [253, 231, 37],
];

/** A colour that stands out on every viridis shade (no red in the map), for the query marker. */
export const MARKER_RGB: readonly [number, number, number] = [228, 26, 28];

/**
 * The viridis colour of t in [0, 1] (clamped; NaN is drawn as the lowest colour).
 * @example viridis(1) // [253, 231, 37]
 */
export function viridis(t: number): [number, number, number] {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}
