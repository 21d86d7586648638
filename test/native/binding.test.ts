/**
 * The native layer defends itself: calls straight into the addon, bypassing every TypeScript
 * check, get a TypeError/RangeError (never a crash or an out-of-bounds access).
 */
import { types } from 'node:util';

import { ATTENTION_SIZE_FIELDS, attentionSizes, binding, type AttentionSizes, type NativeAttentionDescriptor } from '../../lib/native/binding';
import { packWeights } from '../../lib/block/weights';
import { randomWeights } from '../support/random-weights';

const native = binding();
const f = (n: number): Float32Array => new Float32Array(n).fill(0.5);

type DescriptorFields = AttentionSizes & Omit<NativeAttentionDescriptor, 'sizes'>;
function descriptor(over: Partial<DescriptorFields> = {}): NativeAttentionDescriptor {
  const d: DescriptorFields = {
    layout: 0, batch: 1, heads: 1, queries: 4, keys: 5, keyWidth: 3, valueWidth: 2, affinity: 0, scale: 1, mask: null, concatQuery: null, concatKey: null, threads: 1,
    kvHeads: 1, causal: 0, biasBatch: 0, biasHeads: 1, bias: null, ...over,
  };
  return { sizes: attentionSizes(d), mask: d.mask, concatQuery: d.concatQuery, concatKey: d.concatKey, bias: d.bias };
}

type Call = () => unknown;
const good = (): unknown[] => [f(12), f(15), f(10), new Float32Array(8), descriptor()];
const call = (args: unknown[]): unknown => (native.attention as (...a: unknown[]) => unknown)(...args);
const callAsync = (args: unknown[]): unknown => (native.attentionAsync as (...a: unknown[]) => unknown)(...args);
const replace = (index: number, value: unknown): unknown[] => {
  const args = good();
  args[index] = value;
  return args;
};

const cases: [string, () => unknown[], string, RegExp][] = [
  ['too few arguments', () => good().slice(0, 4), 'TypeError', /takes 5 arguments/],
  ['descriptor not an object', () => replace(4, 3), 'TypeError', /takes 5 arguments/],
  ['query a Float64Array', () => replace(0, new Float64Array(12)), 'TypeError', /^query must be a Float32Array$/],
  ['key a plain array', () => replace(1, [1, 2, 3]), 'TypeError', /^key must be a Float32Array$/],
  ['value a string', () => replace(2, 'x'), 'TypeError', /^value must be a Float32Array$/],
  ['out null', () => replace(3, null), 'TypeError', /^out must be a Float32Array$/],
  ['layout out of range', () => replace(4, descriptor({ layout: 2 as 0 })), 'RangeError', /^descriptor\.layout must be an integer in \[0, 1\]/],
  ['batch NaN', () => replace(4, descriptor({ batch: NaN })), 'RangeError', /^descriptor\.batch must be an integer in \[1, 4294967296\], got nan/],
  ['sizes missing', () => replace(4, { ...descriptor(), sizes: undefined }), 'TypeError', /^descriptor\.sizes must be a Float64Array of 14 numbers$/],
  ['sizes one short', () => replace(4, { ...descriptor(), sizes: new Float64Array(13) }), 'TypeError', /^descriptor\.sizes must be a Float64Array of 14 numbers$/],
  ['sizes a Float32Array', () => replace(4, { ...descriptor(), sizes: new Float32Array(14) }), 'TypeError', /^descriptor\.sizes must be a Float64Array of 14 numbers$/],
  ['kvHeads not dividing heads', () => replace(4, descriptor({ layout: 1, heads: 3, kvHeads: 2 })), 'RangeError', /^descriptor\.kvHeads must divide descriptor\.heads$/],
  ['kvHeads over heads', () => replace(4, descriptor({ kvHeads: 2 })), 'RangeError', /^descriptor\.kvHeads must be an integer in \[1, 1\]/],
  ['grouped key sized for all heads', () => replace(4, descriptor({ layout: 1, heads: 2, kvHeads: 1 })), 'RangeError', /^query has 12 elements but its shape \[1, 2, 4, 3\] needs 24$/],
  ['causal 3', () => replace(4, descriptor({ causal: 3 as 0 })), 'RangeError', /^descriptor\.causal must be an integer in \[0, 2\]/],
  ['bias missing', () => replace(4, descriptor({ biasBatch: 1 })), 'TypeError', /^attentionBias must be a Float32Array$/],
  ['bias too short', () => replace(4, descriptor({ biasBatch: 1, bias: f(19) })), 'RangeError', /^attentionBias has 19 elements but its shape \[1, 1, 4, 5\] needs 20$/],
  ['bias with dot_product', () => replace(4, descriptor({ biasBatch: 1, bias: f(20), affinity: 2 })), 'TypeError', /^attentionBias is for the softmax affinities only$/],
  ['bias aliasing out', () => {
    const shared = f(40);
    const args = replace(4, descriptor({ biasBatch: 1, bias: shared.subarray(0, 20) }));
    args[3] = shared.subarray(16, 24);
    return args;
  }, 'RangeError', /^out must not share memory with attentionBias$/],
  ['queries zero', () => replace(4, descriptor({ queries: 0 })), 'RangeError', /^descriptor\.queries must be an integer in \[1, 4294967296\], got 0/],
  ['keyWidth fractional', () => replace(4, descriptor({ keyWidth: 1.5 })), 'RangeError', /^descriptor\.keyWidth must be an integer/],
  ['affinity 7', () => replace(4, descriptor({ affinity: 7 as 0 })), 'RangeError', /^descriptor\.affinity must be an integer in \[0, 3\]/],
  ['threads 0', () => replace(4, descriptor({ threads: 0 })), 'RangeError', /^descriptor\.threads must be an integer in \[1, 1024\]/],
  ['scale NaN', () => replace(4, descriptor({ scale: NaN })), 'RangeError', /^descriptor\.scale must be a finite number > 0$/],
  ['query shorter than its shape', () => replace(0, f(11)), 'RangeError', /^query has 11 elements but its shape \[1, 4, 3\] needs 12$/],
  ['value longer than its shape', () => replace(2, f(11)), 'RangeError', /^value has 11 elements but its shape \[1, 5, 2\] needs 10$/],
  ['rank-4 layout named in the message', () => replace(4, descriptor({ layout: 1, heads: 2 })), 'RangeError', /^query has 12 elements but its shape \[1, 2, 4, 3\] needs 24$/],
  ['dims whose product overflows', () => replace(4, descriptor({ batch: 2 ** 32, heads: 2 ** 32, queries: 2 ** 32 })), 'RangeError', /^query has 12 elements but its shape .* needs more than 2\^63$/],
  ['out aliasing the query', () => {
    const shared = f(20);
    const args = good();
    args[0] = shared.subarray(0, 12);
    args[3] = shared.subarray(8, 16);
    return args;
  }, 'RangeError', /^out must not share memory with query, key or value$/],
  ['mask a Float32Array', () => replace(4, descriptor({ mask: f(5) as unknown as Uint8Array })), 'TypeError', /^keyPaddingMask must be a Uint8Array$/],
  ['mask too short', () => replace(4, descriptor({ mask: new Uint8Array(4) })), 'RangeError', /^keyPaddingMask has 4 elements but its shape \[1, 5\] needs 5$/],
  ['concatenation without weights', () => replace(4, descriptor({ affinity: 3 })), 'TypeError', /^concatWeights\.query must be a Float32Array$/],
  ['concatenation weights too short', () => replace(4, descriptor({ affinity: 3, concatQuery: f(3), concatKey: f(2) })), 'RangeError', /^concatWeights\.key has 2 elements but its shape \[3\] needs 3$/],
  ['detached query', () => {
    const q = f(12);
    structuredClone(q.buffer as ArrayBuffer, { transfer: [q.buffer as ArrayBuffer] });
    return replace(0, q);
  }, 'RangeError', /^query has 0 elements but its shape \[1, 4, 3\] needs 12$/],
];

describe.each([
  ['attention', call],
  ['attentionAsync', callAsync],
] as const)('native %s rejects bad calls', (_name, run) => {
  test.each(cases)('%s', (_label, args, name, message) => {
    let caught: unknown;
    try {
      run(args());
    } catch (e) {
      caught = e;
    }
    expect(caught).toEqual(expect.objectContaining({ name, message: expect.stringMatching(message) }));
  });
});

test('sizes are read in the order binding.ts packs them: each field out of range is named in the error', () => {
  for (const field of ATTENTION_SIZE_FIELDS) {
    const expected = field === 'scale' ? /^descriptor\.scale must be a finite number > 0$/ : new RegExp(`^descriptor\\.${field} must be an integer in`);
    expect(() => call(replace(4, descriptor({ [field]: -5 })))).toThrow(expected);
  }
});

test('a good native call works and returns out', () => {
  const args = good();
  expect(call(args)).toBe(args[3]);
  expect(Array.from(args[3] as Float32Array)).toEqual(new Array(8).fill(0.5));
});

test('selectIsa refuses unknown names and non-strings', () => {
  expect(native.selectIsa('sse9')).toBe(false);
  expect(() => (native.selectIsa as (x: unknown) => boolean)(3)).toThrow(/selectIsa\(name\) takes one string/);
});

describe('alignedFloat32Array', () => {
  test.each([0, 1, 15, 16, 17, 1000, 65_536 + 3])('length %i: zero-filled, first element on a 64-byte boundary', (length) => {
    const a = native.alignedFloat32Array(length);
    expect(types.isFloat32Array(a)).toBe(true); // not instanceof: Jest's realm differs from the addon's
    expect(a.length).toBe(length);
    expect(a.every((v) => v === 0)).toBe(true);
    if (length > 0) expect(native.addressAlignmentForTesting(a)).toBe(0);
    // The view stays inside its buffer, whatever the offset the alignment needed.
    expect(a.byteOffset + a.byteLength).toBeLessThanOrEqual(a.buffer.byteLength);
  });

  test('the probe sees a misaligned view', () => {
    const a = native.alignedFloat32Array(32);
    expect(native.addressAlignmentForTesting(a.subarray(1))).toBe(4);
    expect(native.addressAlignmentForTesting(a.subarray(5))).toBe(20);
  });

  test.each([
    [[], 'TypeError', /^alignedFloat32Array\(length\) takes one number$/],
    [['8'], 'TypeError', /^alignedFloat32Array\(length\) takes one number$/],
    [[-1], 'RangeError', /^alignedFloat32Array: length must be an integer in \[0, 2\^31\]$/],
    [[2.5], 'RangeError', /^alignedFloat32Array: length must be an integer/],
    [[NaN], 'RangeError', /^alignedFloat32Array: length must be an integer/],
    [[2 ** 32], 'RangeError', /^alignedFloat32Array: length must be an integer/],
  ] as const)('rejects %j', (args, name, message) => {
    const run = (): unknown => (native.alignedFloat32Array as (...a: unknown[]) => unknown)(...args);
    expect(run).toThrow(expect.objectContaining({ name, message: expect.stringMatching(message) }) as Error);
  });

  test('the probe takes only a Float32Array', () => {
    expect(() => (native.addressAlignmentForTesting as (x: unknown) => number)(new Float64Array(4))).toThrow(/^array must be a Float32Array$/);
  });

  test.each([
    ['embedded_gaussian', false],
    ['gaussian', true],
    ['dot_product', true],
  ] as const)('the packed block weights (%s, pool before conv %s) start on cache lines', (mode, poolBeforeConv) => {
    const packed = packWeights(randomWeights({ C: 24, Ci: 12, mode, bn: false, outBias: true, subSample: poolBeforeConv, poolBeforeConv, useScale: false, seed: 7 }), mode, poolBeforeConv);
    for (const panels of [packed.wx, packed.wp]) {
      if (panels !== null && panels.length > 0) expect(native.addressAlignmentForTesting(panels)).toBe(0);
    }
  });
});
