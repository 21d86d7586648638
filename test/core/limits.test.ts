/** lib/core/limits.ts and core/threads.ts: the thread range, written once, and the messages that state it. */
import { MAX_ELEMENTS, MAX_THREADS, MIN_THREADS, THREADS_RANGE, clampThreads, isThreadCount } from '../../lib/core/limits';
import { defaultThreads, resolveThreads, setDefaultThreads } from '../../lib/core/threads';

test('the limits', () => {
  expect([MIN_THREADS, MAX_THREADS]).toEqual([1, 1024]);
  expect(THREADS_RANGE).toBe('an integer from 1 to 1024');
  expect(MAX_ELEMENTS).toBe(4294967295);
  expect(clampThreads(0)).toBe(1);
  expect(clampThreads(5000)).toBe(1024);
  expect(clampThreads(3)).toBe(3);
});

test('isThreadCount accepts exactly the integers 1..1024', () => {
  for (const n of [1, 2, 1024]) expect(isThreadCount(n)).toBe(true);
  for (const n of [0, 1025, 1.5, -1, NaN, Infinity, '2', null, undefined]) expect(isThreadCount(n)).toBe(false);
});

test('resolveThreads: default, TypeError for a non-number, RangeError out of range', () => {
  expect(resolveThreads(undefined)).toBe(defaultThreads());
  expect(resolveThreads(7)).toBe(7);
  expect(() => resolveThreads('2')).toThrow(new TypeError('options.threads must be an integer from 1 to 1024, got string "2"'));
  expect(() => resolveThreads(0)).toThrow(new RangeError('options.threads must be an integer from 1 to 1024, got 0'));
  expect(() => resolveThreads(1025)).toThrow(RangeError);
});

test('setDefaultThreads refuses what the range refuses, and keeps the old value', () => {
  const before = defaultThreads();
  try {
    expect(() => setDefaultThreads(0)).toThrow(new RangeError('threads must be an integer from 1 to 1024, got 0'));
    expect(() => setDefaultThreads('4' as unknown as number)).toThrow(new RangeError('threads must be an integer from 1 to 1024, got 4'));
    expect(defaultThreads()).toBe(before);
    setDefaultThreads(3);
    expect(defaultThreads()).toBe(3);
  } finally {
    setDefaultThreads(before);
  }
});
