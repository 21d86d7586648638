/**
 * ONNX Runtime (onnxruntime-node, CPU execution provider) running the graphs of bench/ort/ with its
 * best settings: every graph optimisation, intra-op threads = the row's thread count, sequential
 * execution, the memory arena and memory patterns on (the defaults), and a preallocated output
 * tensor, like the native operator's `out`. (onnxruntime-node 1.30 fills it, yet still returns a
 * fresh copy of every output per call: that copy is part of what session.run costs a Node user.)
 * Loaded only in ORT contender processes, so the other contenders' peak RSS never includes the
 * runtime.
 */
import * as ort from 'onnxruntime-node';
import { blockInput, blockWeights } from '../block-weights';
import { attentionInputs } from '../inputs';
import { attentionGraph, type AttentionGraph, type BuiltGraph } from '../ort/attention-graphs';
import { blockGraph } from '../ort/block-graph';
import { gqaGraph, mhaGraph } from '../ort/masked-attention-graphs';
import { blockProbe, operatorProbe } from '../probe';
import type { BlockShape, OperatorShape } from '../shapes';
import type { Prepared } from './types';

export function ortVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

async function session(graph: BuiltGraph, threads: number, feeds: Record<string, Float32Array>, outDims: number[], probe: (y: Float32Array) => number[]): Promise<Prepared> {
  const s = await ort.InferenceSession.create(graph.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3, // errors only: keep the benchmark's stderr readable
  });
  const inputs: Record<string, ort.Tensor> = {};
  for (const { name, dims } of graph.inputs) inputs[name] = new ort.Tensor('float32', feeds[name], dims);
  const out = new ort.Tensor('float32', new Float32Array(outDims.reduce((a, b) => a * b, 1)), outDims);
  const fetches = { [graph.output]: out };
  return {
    run: async () => (await s.run(inputs, fetches))[graph.output].data as Float32Array,
    probe,
    engine: `onnxruntime ${ortVersion()}`,
  };
}

/** [B, M, dk] → [B, dk, M], for the pre-transposed-key variant (done once, outside the timing). */
function transposeKey(k: Float32Array, B: number, M: number, dk: number): Float32Array {
  const t = new Float32Array(k.length);
  for (let b = 0; b < B; b++) for (let j = 0; j < M; j++) for (let c = 0; c < dk; c++) t[b * M * dk + c * M + j] = k[b * M * dk + j * dk + c];
  return t;
}

export function ortAttention(kind: AttentionGraph, s: OperatorShape, threads: number): Promise<Prepared> {
  const { q, k, v, scale } = attentionInputs(s);
  const graph = attentionGraph(kind, s, scale);
  const feeds: Record<string, Float32Array> = { query: q.data, key: k.data, value: v.data };
  if (kind === 'matmul-kt') feeds.key_t = transposeKey(k.data, s.B, s.M, s.dk);
  return session(graph, threads, feeds, [s.B, s.N, s.dv], (y) => operatorProbe(s, y));
}

/** ORT's operator for a masked row: MultiHeadAttention (unidirectional / attention_bias) or GroupQueryAttention. */
export function ortMaskedAttention(kind: 'mha' | 'gqa', s: OperatorShape, threads: number): Promise<Prepared> {
  const { q, k, v, scale, bias } = attentionInputs(s);
  const H = s.H ?? 1;
  const shape = { B: s.B, H, Hkv: s.Hkv ?? H, N: s.N, M: s.M, d: s.dk };
  const graph = kind === 'gqa' ? gqaGraph(shape, scale) : mhaGraph(shape, scale, { causal: s.causal, biasDims: bias?.shape });
  const feeds: Record<string, Float32Array> = { query: q.data, key: k.data, value: v.data };
  if (bias !== null) feeds.attention_bias = bias.data;
  return session(graph, threads, feeds, [s.B, s.N, H * s.dv], (y) => operatorProbe(s, y));
}

export function ortBlock(s: BlockShape, threads: number): Promise<Prepared> {
  const x = blockInput(s);
  return session(blockGraph(s, blockWeights(s)), threads, { x: x.data }, x.shape, (z) => blockProbe(s, x.data, z));
}
