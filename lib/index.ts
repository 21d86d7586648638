/**
 * nonlocal-affinity: the non-local operation of Non-local Neural Networks (Wang et al., 2017) and
 * softmax attention on the CPU, with a blocked SIMD/OpenMP kernel.
 */
export { attention, attentionAsync } from './attention/attention';
export type { AttentionOptions } from './attention/args';
export { affinityMap, type AffinityMapOptions } from './attention/affinity-map';
export { nonLocalBlock, nonLocalBlockAsync } from './block/block';
export type { NonLocalBlockOptions } from './block/block-args';
export { loadNonLocalWeights, weightsFromStateDict, WeightsError, type LoadNonLocalWeightsOptions } from './block/load-weights';
export type { NonLocalWeights, Conv1x1, BatchNorm, Convention } from './block/weights';
export type { WeightsConventions, CheckpointFamily, SettingOrigin, SettingKind } from './block/families';
export { inspectCheckpoint, inspectStateDict, type CheckpointReport, type CheckpointBlock, type CheckpointBlockError } from './block/inspect-checkpoint';
export { info, measureFmaPeak, type FmaPeakOptions, type Info } from './native/info';
export type { CacheSizes } from './native/binding';
export { setDefaultThreads, defaultThreads } from './core/threads';
export { setMaxConcurrentCalls, schedulerStats } from './runtime/scheduler';
export type { Affinity, Tensor } from './core/tensor';
import * as reference from './reference/index';
export { reference };
export { readNpy, writeNpy, parseNpy, encodeNpy } from './io/npy';
export { readSafetensors, writeSafetensors, parseSafetensors, encodeSafetensors, type SafetensorsContents, type SkippedTensor } from './io/safetensors';
export { IoFormatError, IoRangeError, isIoError, type IoErrorCode } from './io/io-error';
