/** What the parent (main.ts) asks of one contender process (contender.ts), and what it gets back. */
import type { BlockShape, OperatorShape } from './shapes';

export type ContenderName =
  | 'native' //      lib.attention / lib.nonLocalBlock (the addon)
  | 'native-unmasked' // lib.attention on a causal row's shape without the mask (its side-by-side twin)
  | 'reference' //   lib.reference.attention / lib.reference.nonLocalBlock (pure TypeScript)
  | 'naive' //       the textbook JS loop (operator only)
  | 'ort-matmul' //  ONNX Runtime, Transpose → MatMul → Mul → Softmax → MatMul (operator)
  | 'ort-matmul-kt' // the same graph fed a pre-transposed key (only for `--ort-variants`)
  | 'ort-mha' //     ONNX Runtime, com.microsoft MultiHeadAttention (operator)
  | 'ort-mha-masked' // ONNX Runtime MultiHeadAttention with unidirectional / attention_bias (masked rows)
  | 'ort-gqa' //     ONNX Runtime, com.microsoft GroupQueryAttention (causal GQA row)
  | 'ort-block' //   ONNX Runtime, mmcv NonLocal2d graph (block)
  | 'tfjs-wasm' //   TensorFlow.js, wasm backend (operator)
  | 'tfjs-cpu'; //   TensorFlow.js, cpu backend (operator)

/** contender.ts's exit code when the contender's output disagrees with the native one */
export const EXIT_DISAGREES = 2;

export interface ContenderSpec {
  contender: ContenderName;
  threads: number;
  /** an attention call, or (with `block`) a whole non-local block */
  shape?: OperatorShape;
  block?: BlockShape;
  timeMs: number;
  minSamples: number;
  /** warm-up calls before timing (the probe call comes first in any case) */
  warmup: number;
  /** the first contender's probe: a contender that disagrees fails before it is timed */
  expectProbe?: number[];
}

export interface ContenderResult {
  medianMs: number;
  samples: number;
  /** every timed call, ms (pooled across rounds by main.ts) */
  samplesMs: number[];
  /** see probe.ts: compared across contenders before anything is timed */
  probe: number[];
  /** what computed it: the addon's ISA, 'js', or 'onnxruntime 1.x' */
  engine: string;
  /** peak resident set of the contender's whole process (inputs, runtime, scratch), MB */
  maxRssMb: number;
}
