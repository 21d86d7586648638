/**
 * Which contenders run on which shape, in what order. The first entry of every case is the native
 * contender on all cores: its output is the reference every other contender must match.
 */
import type { ContenderName } from './spec';
import { BLOCK_SHAPES, blockFlops, flops, MASKED_SHAPES, OPERATOR_SHAPES, type BlockShape, type OperatorShape } from './shapes';

export type Family = 'native' | 'ort' | 'tfjs' | 'js';

export interface Entry {
  contender: ContenderName;
  family: Family;
  threads: number;
  label: string;
  /** JS-speed contenders: about how fast they run here (GFLOP/s), to skip calls that would take minutes */
  gflopsEstimate?: number;
  /** this entry's FLOPs when they differ from the case's (the unmasked twin of a causal row), GFLOP */
  gflop?: number;
}

export interface Case {
  shape: OperatorShape | BlockShape;
  block: boolean;
  gflop: number;
  entries: Entry[];
}

export interface PlanOptions {
  cores: number;
  quick: boolean;
  /** add the pre-transposed-key MatMul graph (to see which way ORT runs the textbook graph faster) */
  ortVariants: boolean;
}

const threadsLabel = (t: number): string => (t === 1 ? '1 thread' : `${t} threads`);

export function plan({ cores, quick, ortVariants }: PlanOptions): Case[] {
  // All cores, then one core (the rows a 1-thread caller, or one of several parallel workers, sees).
  const threadCounts = cores > 1 ? [cores, 1] : [1];
  const each = (family: Family, contender: ContenderName, name: string): Entry[] => threadCounts.map((threads) => ({ contender, family, threads, label: `${name}, ${threadsLabel(threads)}` }));
  const operatorEntries: Entry[] = [
    ...each('native', 'native', 'native'),
    ...each('ort', 'ort-matmul', 'ORT MatMul→Softmax→MatMul'),
    ...(ortVariants ? each('ort', 'ort-matmul-kt', 'ORT MatMul→Softmax→MatMul, Kᵀ fed') : []),
    ...each('ort', 'ort-mha', 'ORT MultiHeadAttention'),
    // tfjs runs one thread under Node whatever the machine has.
    { contender: 'tfjs-wasm', family: 'tfjs', threads: 1, label: 'tfjs wasm (SIMD)', gflopsEstimate: 4 },
    { contender: 'tfjs-cpu', family: 'tfjs', threads: 1, label: 'tfjs cpu', gflopsEstimate: 0.35 },
    { contender: 'reference', family: 'js', threads: 1, label: 'reference.attention (JS)', gflopsEstimate: 1.3 },
    // last: the × JS baseline
    { contender: 'naive', family: 'js', threads: 1, label: 'naive JS loop', gflopsEstimate: 1.3 },
  ];
  const blockEntries: Entry[] = [
    ...each('native', 'native', 'nonLocalBlock'),
    ...each('ort', 'ort-block', 'ORT NonLocal2d graph'),
    { contender: 'reference', family: 'js', threads: 1, label: 'reference.nonLocalBlock (JS)', gflopsEstimate: 1.3 },
  ];
  // The masked rows: native against ORT's own operator for the mask (no JS rows: minutes per call).
  // A causal row also runs the same call without the mask in the same interleaved rounds, so the
  // causal ÷ unmasked time is measured side by side (minutes apart, the VM's drift would be in it).
  const maskedEntries = (s: OperatorShape): Entry[] => [
    ...each('native', 'native', 'native'),
    ...(s.causal && s.Hkv === undefined ? each('native', 'native-unmasked', 'native without the mask').map((e) => ({ ...e, gflop: flops({ ...s, causal: false }) / 1e9 })) : []),
    ...(s.Hkv !== undefined ? each('ort', 'ort-gqa', 'ORT GroupQueryAttention') : each('ort', 'ort-mha-masked', `ORT MultiHeadAttention${s.causal ? ' unidirectional' : ' + attention_bias'}`)),
  ];
  return [
    ...(quick ? OPERATOR_SHAPES.slice(0, 2) : OPERATOR_SHAPES).map((shape) => ({ shape, block: false, gflop: flops(shape) / 1e9, entries: operatorEntries })),
    ...(quick ? [] : MASKED_SHAPES).map((shape) => ({ shape, block: false, gflop: flops(shape) / 1e9, entries: maskedEntries(shape) })),
    ...(quick ? [] : BLOCK_SHAPES).map((shape) => ({ shape, block: true, gflop: blockFlops(shape) / 1e9, entries: blockEntries })),
  ];
}
