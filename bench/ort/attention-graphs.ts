/**
 * The two ONNX graphs a Node user would hand ONNX Runtime for softmax attention y = softmax(s·QKᵀ)·V:
 *
 *  - 'matmul': the textbook composition (opset 17) — Transpose(K) → MatMul(Q, Kᵀ) → Mul(s) →
 *    Softmax → MatMul(·, V). It materialises the [B, N, M] logits, which is the point of the memory
 *    comparison. With graphOptimizationLevel 'all', ORT folds the Transpose and the scalar Mul
 *    into one FusedMatMul (transB, alpha = s).
 *  - 'mha': com.microsoft MultiHeadAttention with num_heads = 1 and `scale` = s, ORT's fused
 *    attention kernel (on the CPU it has a flash-attention path that never holds N×M).
 *
 * 'matmul-kt' is the 'matmul' graph fed a pre-transposed key ([B, dk, M], transposed outside the
 * timed call; `npm run bench -- --ort-variants`). Both end up as one FusedMatMul and measured the
 * same within the noise here, so the table uses the Transpose node: nothing is done off the clock.
 */
import type { OperatorShape } from '../shapes';
import { GraphBuilder, MS_DOMAIN } from './onnx-builder';

export type AttentionGraph = 'matmul' | 'matmul-kt' | 'mha';

export interface BuiltGraph {
  model: Uint8Array;
  /** input name → dims, in the order the contender feeds them */
  inputs: { name: string; dims: number[]; transposeKey?: boolean }[];
  output: string;
}

export function attentionGraph(kind: AttentionGraph, s: OperatorShape, scale: number): BuiltGraph {
  const { B, N, M, dk, dv } = s;
  const g = new GraphBuilder();
  const q = g.input('query', [B, N, dk]);
  const v = g.input('value', [B, M, dv]);
  let y: string;
  const inputs: BuiltGraph['inputs'] = [{ name: 'query', dims: [B, N, dk] }, { name: 'value', dims: [B, M, dv] }];
  if (kind === 'mha') {
    const k = g.input('key', [B, M, dk]);
    inputs.push({ name: 'key', dims: [B, M, dk] });
    // Inputs 3.. (bias, key_padding_mask, …) are optional and absent: plain self/cross attention.
    y = g.node('MultiHeadAttention', [q, k, v], 'y', { num_heads: { int: 1 }, scale: { float: scale } }, MS_DOMAIN);
  } else {
    let kt: string;
    if (kind === 'matmul-kt') {
      kt = g.input('key_t', [B, dk, M]);
      inputs.push({ name: 'key_t', dims: [B, dk, M], transposeKey: true });
    } else {
      const k = g.input('key', [B, M, dk]);
      inputs.push({ name: 'key', dims: [B, M, dk] });
      kt = g.node('Transpose', [k], 'key_t', { perm: { ints: [0, 2, 1] } });
    }
    const logits = g.node('MatMul', [q, kt], 'logits');
    const scaled = g.node('Mul', [logits, g.weight('scale', [], Float32Array.of(scale))], 'scaled');
    const p = g.node('Softmax', [scaled], 'p', { axis: { int: -1 } });
    y = g.node('MatMul', [p, v], 'y');
  }
  g.output(y, [B, N, dv]);
  return { model: g.toModel(`attention_${kind}`), inputs, output: y };
}
