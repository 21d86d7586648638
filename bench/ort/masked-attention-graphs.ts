/**
 * ONNX Runtime's own graphs for the masked attention rows: com.microsoft MultiHeadAttention with an
 * additive `attention_bias` [B|1, H|1, N, M] (and `unidirectional` for causal), and
 * GroupQueryAttention, which is causal and lets Hkv < H heads of K and V serve the query heads.
 *
 * GroupQueryAttention aligns its causal mask from the total sequence length: with no past K/V,
 * `seqlens_k` = M − 1 per batch item and `total_sequence_length` = M, query i (of N = M) sees keys
 * j ≤ i — the upper-left (= lower-right, as N = M) alignment of attention({ causal: true }).
 */
import { GraphBuilder, MS_DOMAIN } from './onnx-builder';
import type { BuiltGraph } from './attention-graphs';

export interface MaskedShape {
  B: number;
  H: number;
  /** KV heads (GroupQueryAttention) */
  Hkv: number;
  N: number;
  M: number;
  d: number;
}

/** MultiHeadAttention on [B, N, H·d] inputs, with a [biasB, biasH, N, M] attention_bias input when biasDims is given. */
export function mhaGraph(s: MaskedShape, scale: number, options: { biasDims?: number[]; causal?: boolean }): BuiltGraph {
  const { B, H, N, M, d } = s;
  const g = new GraphBuilder();
  const q = g.input('query', [B, N, H * d]);
  const k = g.input('key', [B, M, H * d]);
  const v = g.input('value', [B, M, H * d]);
  const inputs: BuiltGraph['inputs'] = [{ name: 'query', dims: [B, N, H * d] }, { name: 'key', dims: [B, M, H * d] }, { name: 'value', dims: [B, M, H * d] }];
  // Inputs: query, key, value, bias (projection), key_padding_mask, attention_bias; '' = absent.
  const nodeInputs = [q, k, v];
  if (options.biasDims !== undefined) {
    const b = g.input('attention_bias', options.biasDims);
    inputs.push({ name: 'attention_bias', dims: options.biasDims });
    nodeInputs.push('', '', b);
  }
  const attributes = { num_heads: { int: H }, scale: { float: scale }, ...(options.causal ? { unidirectional: { int: 1 } } : {}) };
  const y = g.node('MultiHeadAttention', nodeInputs, 'y', attributes, MS_DOMAIN);
  g.output(y, [B, N, H * d]);
  return { model: g.toModel('mha_masked'), inputs, output: y };
}

/** GroupQueryAttention (causal) on q [B, N, H·d], k and v [B, N, Hkv·d], no past K/V. */
export function gqaGraph(s: MaskedShape, scale: number): BuiltGraph {
  const { B, H, Hkv, N, d } = s;
  const g = new GraphBuilder();
  const q = g.input('query', [B, N, H * d]);
  const k = g.input('key', [B, N, Hkv * d]);
  const v = g.input('value', [B, N, Hkv * d]);
  const seqlens = g.int32s('seqlens_k', [B], new Array(B).fill(N - 1));
  const total = g.int32s('total_sequence_length', [1], [N]);
  const outputs = ['y', 'present_key', 'present_value'];
  g.node('GroupQueryAttention', [q, k, v, '', '', seqlens, total], outputs, { num_heads: { int: H }, kv_num_heads: { int: Hkv }, scale: { float: scale } }, MS_DOMAIN);
  g.output('y', [B, N, H * d]);
  g.output('present_key', [B, Hkv, N, d]);
  g.output('present_value', [B, Hkv, N, d]);
  return {
    model: g.toModel('gqa'),
    inputs: [{ name: 'query', dims: [B, N, H * d] }, { name: 'key', dims: [B, N, Hkv * d] }, { name: 'value', dims: [B, N, Hkv * d] }],
    output: 'y',
  };
}
