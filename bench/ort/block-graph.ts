/**
 * mmcv's NonLocal2d (embedded Gaussian, use_scale, sub_sample optional, BatchNorm after the output
 * conv) as an ONNX opset-17 graph, with the benchmark block's weights baked in as initializers.
 * It follows mmcv's forward step by step, the way torch.onnx.export would emit it:
 *
 *   θ = Conv1×1(x) + b          → Reshape [B, Ci, N] → Transpose → [B, N, Ci]
 *   φ = Conv1×1(x) + b (→ MaxPool 2×2) → Reshape [B, Ci, M]            (already φᵀ for the MatMul)
 *   g = Conv1×1(x) + b (→ MaxPool 2×2) → Reshape [B, Ci, M] → Transpose → [B, M, Ci]
 *   P = Softmax(MatMul(θ, φ) · 1/√Ci)                                  [B, N, M]
 *   y = MatMul(P, g) → Transpose → Reshape [B, Ci, H, W]
 *   z = x + BatchNorm(Conv1×1(y))                                      (W_z has no bias under BN)
 *
 * ORT (level 'all') is free to fuse what it can (Conv+BN, MatMul+Mul, Transpose into MatMul);
 * what it cannot do is avoid the [B, N, M] matrix, which is what the native block never holds.
 */
import type { NonLocalWeights } from '../../lib/block/weights';
import type { BlockShape } from '../shapes';
import { GraphBuilder } from './onnx-builder';
import type { BuiltGraph } from './attention-graphs';

export function blockGraph(s: BlockShape, w: NonLocalWeights): BuiltGraph {
  const { B, C, Ci, H, W } = s;
  if (!w.theta || !w.phi || !w.bn || w.defaults.mode !== 'embedded_gaussian' || !w.defaults.useScale || w.defaults.poolBeforeConv) {
    throw new Error('the ONNX block graph is mmcv embedded Gaussian with use_scale, BatchNorm and pooling after the conv');
  }
  const N = H * W;
  const [h, wd] = s.subSample ? [Math.floor(H / 2), Math.floor(W / 2)] : [H, W];
  const M = h * wd;
  const g = new GraphBuilder();
  const x = g.input('x', [B, C, H, W]);

  const conv1x1 = (name: string, input: string, conv: { weight: Float32Array; bias: Float32Array | null }, outC: number, inC: number): string => {
    const inputs = [input, g.weight(`${name}.weight`, [outC, inC, 1, 1], conv.weight)];
    if (conv.bias) inputs.push(g.weight(`${name}.bias`, [outC], conv.bias));
    return g.node('Conv', inputs, name, { kernel_shape: { ints: [1, 1] } });
  };
  // mmcv sub_sample: nn.MaxPool2d(kernel_size=(2, 2)) after the φ and g convs (stride = kernel, floor).
  const pool = (input: string): string => (s.subSample ? g.node('MaxPool', [input], `${input}_pool`, { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }) : input);
  const toBNC = (input: string, n: number): string => g.node('Transpose', [g.node('Reshape', [input, g.int64s(`${input}_shape`, [B, Ci, n])], `${input}_flat`)], `${input}_bnc`, { perm: { ints: [0, 2, 1] } });

  const theta = toBNC(conv1x1('theta', x, w.theta, Ci, C), N); //                       [B, N, Ci]
  const phi = g.node('Reshape', [pool(conv1x1('phi', x, w.phi, Ci, C)), g.int64s('phi_shape', [B, Ci, M])], 'phi_flat'); // [B, Ci, M]
  const gx = toBNC(pool(conv1x1('g', x, w.g, Ci, C)), M); //                            [B, M, Ci]

  const logits = g.node('MatMul', [theta, phi], 'logits'); //                           [B, N, M]
  const scaled = g.node('Mul', [logits, g.weight('scale', [], Float32Array.of(1 / Math.sqrt(Ci)))], 'scaled');
  const p = g.node('Softmax', [scaled], 'p', { axis: { int: -1 } });
  const y = g.node('MatMul', [p, gx], 'y'); //                                           [B, N, Ci]
  const yImage = g.node('Reshape', [g.node('Transpose', [y], 'y_t', { perm: { ints: [0, 2, 1] } }), g.int64s('y_shape', [B, Ci, H, W])], 'y_image');

  const wz = conv1x1('conv_out', yImage, w.out, C, Ci);
  const bn = w.bn;
  const normed = g.node('BatchNormalization', [wz, g.weight('bn.weight', [C], bn.weight), g.weight('bn.bias', [C], bn.bias), g.weight('bn.running_mean', [C], bn.runningMean), g.weight('bn.running_var', [C], bn.runningVar)], 'bn', { epsilon: { float: bn.eps } });
  const z = g.node('Add', [x, normed], 'z');
  g.output(z, [B, C, H, W]);
  return { model: g.toModel('nonlocal2d'), inputs: [{ name: 'x', dims: [B, C, H, W] }], output: z };
}
