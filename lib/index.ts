/**
 * nonlocal-affinity: the non-local operation of Non-local Neural Networks (Wang et al., 2017) and
 * softmax attention on the CPU, with a blocked SIMD/OpenMP kernel.
 */
export { attention, attentionAsync } from './attention';
export type { AttentionOptions } from './attention-args';
export { affinityMap, type AffinityMapOptions } from './affinity-map';
export { nonLocalBlock, nonLocalBlockAsync } from './block/block';
export type { NonLocalBlockOptions } from './block/block-args';
export { loadNonLocalWeights, weightsFromStateDict, WeightsError, type LoadNonLocalWeightsOptions } from './block/load-weights';
export type { NonLocalWeights, Conv1x1, BatchNorm, Convention } from './block/weights';
export { info, measureFmaPeak, type FmaPeakOptions, type Info } from './info';
export { setDefaultThreads, defaultThreads } from './threads';
export { setMaxConcurrentCalls, schedulerStats } from './scheduler';
export type { Affinity, Tensor } from './tensor';
import * as reference from './reference';
export { reference };
export { readNpy, writeNpy, parseNpy, encodeNpy } from './io/npy';
export { readSafetensors, writeSafetensors, parseSafetensors, encodeSafetensors, type SafetensorsContents, type SkippedTensor } from './io/safetensors';
export { IoFormatError, IoRangeError, isIoError, type IoErrorCode } from './io/io-error';
