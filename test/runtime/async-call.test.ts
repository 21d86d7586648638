/** lib/runtime/async-call.ts: the skeleton both async calls share, driven by a stand-in kernel. */
import { pooledBufferStats } from '../../lib/runtime/buffer-pool';
import { runAsyncCall } from '../../lib/runtime/async-call';

/** A "kernel" that writes 2·input into the output, after a tick. */
const double = async ([input]: Float32Array[], out: Float32Array): Promise<Float32Array> => {
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < out.length; i++) out[i] = 2 * input[i];
  return out;
};

test('works on a copy taken at the call, and resolves to a fresh output', async () => {
  const input = Float32Array.from([1, 2, 3]);
  const promise = runAsyncCall({ signal: undefined, inputs: [input], outSize: 3, out: null, start: double });
  input.fill(100); // after the call: never reaches the kernel
  expect(Array.from(await promise)).toEqual([2, 4, 6]);
});

test("copies into the caller's out when it settles", async () => {
  const out = new Float32Array(3);
  const seen: Float32Array[] = [];
  const data = await runAsyncCall({
    signal: undefined,
    inputs: [Float32Array.from([1, 2, 3])],
    outSize: 3,
    out,
    start: (inputs, own, cancel) => {
      seen.push(own);
      expect(cancel).toBeNull();
      return double(inputs, own);
    },
  });
  expect(data).toBe(out);
  expect(seen[0]).not.toBe(out); // the kernel wrote a private output
  expect(Array.from(out)).toEqual([2, 4, 6]);
});

test('refuses an out detached while the call ran', async () => {
  const out = new Float32Array(3);
  const promise = runAsyncCall({ signal: undefined, inputs: [new Float32Array(3)], outSize: 3, out, start: double });
  structuredClone(out.buffer, { transfer: [out.buffer] });
  await expect(promise).rejects.toThrow(new RangeError('options.out was detached or resized while the call ran (now 0 elements, needs 3)'));
});

test('checks the signal, rejects an aborted one before any work, and wires abort to the cancel flag', async () => {
  const start = jest.fn(double);
  await expect(runAsyncCall({ signal: 'nope', inputs: [], outSize: 0, out: null, start })).rejects.toThrow(new TypeError('options.signal must be an AbortSignal, got string "nope"'));
  await expect(runAsyncCall({ signal: AbortSignal.abort(), inputs: [], outSize: 0, out: null, start })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  expect(start).not.toHaveBeenCalled();

  const controller = new AbortController();
  let flag: Int32Array | null = null;
  const promise = runAsyncCall({
    signal: controller.signal,
    inputs: [],
    outSize: 1,
    out: null,
    start: async (_inputs, _out, cancel) => {
      flag = cancel;
      controller.abort();
      expect(cancel![0]).toBe(1);
      throw Object.assign(new Error('cancelled'), { name: 'AbortError' }); // what the addon rejects with
    },
  });
  await expect(promise).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'The operation was aborted' });
  expect(flag).toBeInstanceOf(Int32Array);
});

test("a rejection carries the caller's stack, and pooled copies go back to the pool", async () => {
  const big = 16 * 1024;
  const before = pooledBufferStats().buffers;
  async function callerFunction(): Promise<Float32Array> {
    return runAsyncCall({ signal: undefined, inputs: [new Float32Array(big)], outSize: big, out: new Float32Array(big), start: () => Promise.reject(new Error('kernel failed')) });
  }
  const error = (await callerFunction().catch((e: unknown) => e)) as Error;
  expect(error.message).toBe('kernel failed');
  expect(error.stack!.split('\n')[0]).toBe('Error: kernel failed');
  expect(error.stack!.split('\n')[1]).toMatch(/callerFunction/);
  expect(pooledBufferStats().buffers).toBe(before + 2); // the input's copy and the private output
});
