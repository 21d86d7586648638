/**
 * The naive JavaScript baseline: the textbook three steps with the whole N×M matrix in memory —
 * S = s·Q·Kᵀ, a row softmax, then P·V — in plain loops over Float32Arrays.
 */
export function naiveAttention(q: Float32Array, k: Float32Array, v: Float32Array, N: number, M: number, dk: number, dv: number, scale: number): Float32Array {
  const s = new Float32Array(N * M);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      let dot = 0;
      for (let c = 0; c < dk; c++) dot += q[i * dk + c] * k[j * dk + c];
      s[i * M + j] = scale * dot;
    }
  }
  for (let i = 0; i < N; i++) {
    let max = -Infinity;
    for (let j = 0; j < M; j++) max = Math.max(max, s[i * M + j]);
    let sum = 0;
    for (let j = 0; j < M; j++) {
      const e = Math.exp(s[i * M + j] - max);
      s[i * M + j] = e;
      sum += e;
    }
    for (let j = 0; j < M; j++) s[i * M + j] /= sum;
  }
  const y = new Float32Array(N * dv);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      const p = s[i * M + j];
      for (let c = 0; c < dv; c++) y[i * dv + c] += p * v[j * dv + c];
    }
  }
  return y;
}
