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

/** The block shapes the benchmark measures (issue #3 / #5): one nonLocalBlock call each. */
export interface BlockShape {
  id: string;
  B: number;
  C: number;
  Ci: number;
  H: number;
  W: number;
  /** 2×2 max-pool of φ and g after their convolutions (mmcv sub_sample=True) */
  subSample: boolean;
}

export const BLOCK_SHAPES: BlockShape[] = [
  { id: 'block C=1024 50×68 (detection C4)', B: 1, C: 1024, Ci: 512, H: 50, W: 68, subSample: false },
  { id: 'block C=512 64×64 (segmentation)', B: 1, C: 512, Ci: 256, H: 64, W: 64, subSample: false },
  { id: 'block C=1024 28×28 sub-sampled', B: 1, C: 1024, Ci: 512, H: 28, W: 28, subSample: true },
];

/**
 * FLOPs of one embedded-Gaussian block: θ|φ|g at full resolution 2·N·C·3Ci, attention 4·N·M·Ci,
 * output projection 2·N·Ci·C (pooling, softmax, bias and residual not counted).
 */
export function blockFlops(s: BlockShape): number {
  const N = s.H * s.W;
  const M = s.subSample ? Math.floor(s.H / 2) * Math.floor(s.W / 2) : N;
  return s.B * (2 * N * s.C * 3 * s.Ci + 4 * N * M * s.Ci + 2 * N * s.Ci * s.C);
}
