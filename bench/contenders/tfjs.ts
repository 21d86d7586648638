/**
 * TensorFlow.js on the two backends that install from the npm registry alone: 'cpu' (plain
 * JavaScript kernels) and 'wasm' (XNNPACK compiled to WebAssembly with SIMD; its .wasm files ship
 * inside the package; single-threaded under Node, where tfjs has no worker pool). The graph is the
 * textbook one — matMul(Q, Kᵀ)·s → softmax → matMul(·, V) — so it holds the N×M matrix.
 * (@tensorflow/tfjs-node is left out: its install downloads libtensorflow from outside the registry.)
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { attentionInputs } from '../inputs';
import { operatorProbe } from '../probe';
import type { OperatorShape } from '../shapes';
import type { Prepared } from './types';

export async function tfjsAttention(backend: 'cpu' | 'wasm', s: OperatorShape): Promise<Prepared> {
  tf.enableProdMode(); // no debug checks, no console nags: its best settings
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  const { q, k, v, scale } = attentionInputs(s);
  const Q = tf.tensor3d(q.data, [s.B, s.N, s.dk]);
  const K = tf.tensor3d(k.data, [s.B, s.M, s.dk]);
  const V = tf.tensor3d(v.data, [s.B, s.M, s.dv]);
  const run = (): Float32Array => {
    // tidy frees the intermediates (the N×M logits) of every call.
    const y = tf.tidy(() => tf.matMul(tf.softmax(tf.mul(tf.matMul(Q, K, false, true), scale)), V));
    const data = y.dataSync() as Float32Array;
    y.dispose();
    return data;
  };
  return { run, probe: (y) => operatorProbe(s, y), engine: `tfjs ${tf.version_core} ${backend}` };
}
