/** The operator shapes the benchmark measures (issue #2 / #5), one attention call each. */
export interface OperatorShape {
  id: string;
  B: number;
  N: number;
  M: number;
  /** per head */
  dk: number;
  dv: number;
  /** heads (default 1): inputs [B, N, H·dk] as ORT's MultiHeadAttention takes them */
  H?: number;
  /** KV heads (grouped-query attention; default H) */
  Hkv?: number;
  /** causal mask, upper-left (= lower-right here: N = M) */
  causal?: boolean;
  /** an additive attention bias [1, H, N, M] */
  bias?: boolean;
}

export const OPERATOR_SHAPES: OperatorShape[] = [
  { id: '[1,64,64]²', B: 1, N: 64, M: 64, dk: 64, dv: 64 },
  { id: '[1,1024,64]²', B: 1, N: 1024, M: 1024, dk: 64, dv: 64 },
  { id: '[1,4096,64]²', B: 1, N: 4096, M: 4096, dk: 64, dv: 64 },
  { id: 'N=1568 M=392 d=512', B: 1, N: 1568, M: 392, dk: 512, dv: 512 },
  { id: 'N=M=3400 d=512', B: 1, N: 3400, M: 3400, dk: 512, dv: 512 },
  { id: 'N=M=16384 d=64', B: 1, N: 16384, M: 16384, dk: 64, dv: 64 },
];

/**
 * The masked-attention rows (issue #17): causal, an additive bias, causal grouped-query heads —
 * each against ONNX Runtime's own operator for it (MultiHeadAttention with unidirectional or
 * attention_bias, GroupQueryAttention).
 */
export const MASKED_SHAPES: OperatorShape[] = [
  { id: 'causal [1,4096,64]²', B: 1, N: 4096, M: 4096, dk: 64, dv: 64, causal: true },
  { id: '[1,8,1024,64] + bias [1,8,1024,1024]', B: 1, H: 8, N: 1024, M: 1024, dk: 64, dv: 64, bias: true },
  { id: 'causal GQA [1,32,2048,128], 8 KV heads', B: 1, H: 32, Hkv: 8, N: 2048, M: 2048, dk: 128, dv: 128, causal: true },
];

/** The (query, key) pairs a call computes: N·M, or N(N + 1)/2 under a causal mask (N = M here). */
export function visiblePairs(s: OperatorShape): number {
  return s.causal ? (s.N * (s.N + 1)) / 2 : s.N * s.M;
}

/**
 * FLOPs of one call: 2·dk for q·k plus 2·dv for p·v per visible (query, key) pair, per head:
 * 2·B·H·N·M·(dk + dv) (= 4·B·N·M·d for one head with dk = dv), and half of that, N(N + 1)/2
 * pairs, under a causal mask — the work that has to be done, not the work a kernel does.
 */
export function flops(s: OperatorShape): number {
  return 2 * s.B * (s.H ?? 1) * visiblePairs(s) * (s.dk + s.dv);
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
