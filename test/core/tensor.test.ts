/** lib/core/tensor.ts: the affinity list and the shape helpers every layer uses. */
import { AFFINITIES, exactElementCount, formatShape, isAffinity, shapeSize } from '../../lib/core/tensor';

test('AFFINITIES is the paper’s four functions, in the README’s order', () => {
  expect(AFFINITIES).toEqual(['embedded_gaussian', 'gaussian', 'dot_product', 'concatenation']);
  for (const a of AFFINITIES) expect(isAffinity(a)).toBe(true);
  for (const v of ['softmax', 'Gaussian', '', undefined, null, 0, ['gaussian']]) expect(isAffinity(v)).toBe(false);
});

test('formatShape writes the form every error message uses', () => {
  expect(formatShape([2, 3, 4])).toBe('[2, 3, 4]');
  expect(formatShape([])).toBe('[]');
  expect(formatShape([1, 'x', null])).toBe('[1, x, null]');
});

test('shapeSize is the product of the dimensions (1 for rank 0)', () => {
  expect(shapeSize([2, 3, 4])).toBe(24);
  expect(shapeSize([])).toBe(1);
});

test('exactElementCount: 0 with a zero dimension, Infinity when not exactly representable', () => {
  expect(exactElementCount([2, 3, 4])).toBe(24);
  expect(exactElementCount([])).toBe(1);
  expect(exactElementCount([5, 0, 2 ** 52])).toBe(0);
  expect(exactElementCount([2 ** 32, 2 ** 20])).toBe(2 ** 52);
  expect(exactElementCount([2 ** 32, 2 ** 22])).toBe(Number.POSITIVE_INFINITY);
  expect(exactElementCount([Number.MAX_SAFE_INTEGER, 2])).toBe(Number.POSITIVE_INFINITY);
});
