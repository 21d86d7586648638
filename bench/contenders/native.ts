/**
 * The addon: lib.attention and lib.nonLocalBlock, each with a preallocated output (`out`), as the
 * ORT contenders get a preallocated output tensor. (A fresh output per call costs its page faults:
 * on this project's VM about 8 ms for the 3.2 MB of the C = 1024 28×28 block.)
 */
import * as lib from '../../lib/index';
import { blockInput, blockWeights } from '../block-weights';
import { attentionInputs } from '../inputs';
import { blockProbe, operatorProbe } from '../probe';
import type { BlockShape, OperatorShape } from '../shapes';
import type { Prepared } from './types';

export function nativeAttention(s: OperatorShape, threads: number): Prepared {
  const { q, k, v, scale, bias } = attentionInputs(s);
  const H = s.H ?? 1;
  const out = new Float32Array(s.B * s.N * H * s.dv);
  const options: lib.AttentionOptions = { scale, threads, out, heads: H, kvHeads: s.Hkv ?? H };
  if (s.causal) options.causal = true;
  if (bias !== null) options.attentionBias = bias;
  return { run: () => lib.attention(q, k, v, options).data, probe: (y) => operatorProbe(s, y), engine: lib.info().isa };
}

export function nativeBlock(s: BlockShape, threads: number): Prepared {
  const weights = blockWeights(s);
  const x = blockInput(s);
  const out = new Float32Array(x.data.length);
  return { run: () => lib.nonLocalBlock(x, weights, { threads, out }).data, probe: (z) => blockProbe(s, x.data, z), engine: lib.info().isa };
}
