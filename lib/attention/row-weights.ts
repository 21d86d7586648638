/**
 * One query's normalisation in float64, shared by reference.attention and affinityMap: given its
 * logits over the keys it sees, the weights f(q, k_j) and their denominator C:
 *   softmax modes: w_j = exp(f_j − max f), C = Σ_j w_j — and C = 0 when every logit is −∞ (a
 *                  row masked by the bias sees no key: zeros, like M' = 0);
 *   product modes: w_j = f_j, C = M' (the number of keys seen).
 * NaN in a logit makes the max, and so the whole row, NaN.
 */
export function normaliseRow(row: Float64Array, end: number, seen: (j: number) => boolean, softmax: boolean): number {
  let live = 0;
  let max = -Infinity;
  for (let j = 0; j < end; j++) {
    if (!seen(j)) continue;
    live++;
    if (row[j] > max || Number.isNaN(row[j])) max = Number.isNaN(max) ? max : row[j];
  }
  if (!softmax) return live;
  const shift = max === -Infinity ? 0 : max;
  let denominator = 0;
  for (let j = 0; j < end; j++) {
    if (!seen(j)) continue;
    row[j] = Math.exp(row[j] - shift);
    denominator += row[j];
  }
  return denominator;
}
