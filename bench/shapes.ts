/** The operator shapes the benchmark measures (issue #2 / #5), one attention call each. */
export interface OperatorShape {
  id: string;
  B: number;
  N: number;
  M: number;
  dk: number;
  dv: number;
}

export const OPERATOR_SHAPES: OperatorShape[] = [
  { id: '[1,64,64]²', B: 1, N: 64, M: 64, dk: 64, dv: 64 },
  { id: '[1,1024,64]²', B: 1, N: 1024, M: 1024, dk: 64, dv: 64 },
  { id: '[1,4096,64]²', B: 1, N: 4096, M: 4096, dk: 64, dv: 64 },
  { id: 'N=1568 M=392 d=512', B: 1, N: 1568, M: 392, dk: 512, dv: 512 },
  { id: 'N=M=3400 d=512', B: 1, N: 3400, M: 3400, dk: 512, dv: 512 },
  { id: 'N=M=16384 d=64', B: 1, N: 16384, M: 16384, dk: 64, dv: 64 },
];

/** FLOPs of one call: 2·B·N·M·dk for Q·Kᵀ plus 2·B·N·M·dv for P·V (= 4·B·N·M·d when dk = dv). */
export function flops(s: OperatorShape): number {
  return 2 * s.B * s.N * s.M * (s.dk + s.dv);
}
