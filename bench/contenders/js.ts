/** The JavaScript contenders: the package's pure-TypeScript reference and the naive textbook loop. */
import * as lib from '../../lib/index';
import { blockInput, blockWeights } from '../block-weights';
import { attentionInputs } from '../inputs';
import { naiveAttention } from '../naive';
import { blockProbe, operatorProbe } from '../probe';
import type { BlockShape, OperatorShape } from '../shapes';
import type { Prepared } from './types';

export function referenceAttention(s: OperatorShape): Prepared {
  const { q, k, v, scale } = attentionInputs(s);
  const out = new Float32Array(s.B * s.N * s.dv);
  return { run: () => lib.reference.attention(q, k, v, { scale, out }).data, probe: (y) => operatorProbe(s, y), engine: 'js' };
}

export function naiveLoop(s: OperatorShape): Prepared {
  if (s.B !== 1) throw new Error('the naive loop is single-batch');
  const { q, k, v, scale } = attentionInputs(s);
  return { run: () => naiveAttention(q.data, k.data, v.data, s.N, s.M, s.dk, s.dv, scale), probe: (y) => operatorProbe(s, y), engine: 'js' };
}

export function referenceBlock(s: BlockShape): Prepared {
  const weights = blockWeights(s);
  const x = blockInput(s);
  return { run: () => lib.reference.nonLocalBlock(x, weights).data, probe: (z) => blockProbe(s, x.data, z), engine: 'js' };
}
