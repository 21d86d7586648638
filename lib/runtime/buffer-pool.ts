/**
 * Reusable Float32Arrays for the private copies that async calls take of their tensors. A fresh
 * copy of a large tensor is fresh memory the OS faults in page by page, which can cost more than
 * the call computes; reusing buffers avoids it. A buffer goes back to the pool only once its call
 * has settled (the kernel no longer reads or writes it); at most 32 per length (a burst of queued
 * calls holds one copy per input each) and 64 MB in all are kept, and small tensors (cheap to
 * allocate on V8's heap) are not pooled at all.
 */
const MIN_POOLED_LENGTH = 16 * 1024; // 64 KB
const MAX_PER_LENGTH = 32;
const MAX_POOLED_BYTES = 64 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/** A Float32Array of `length` whose contents the caller will overwrite (pooled when large). */
export function takeBuffer(length: number): Float32Array {
  const buffer = length >= MIN_POOLED_LENGTH ? free.get(length)?.pop() : undefined;
  if (buffer === undefined) return new Float32Array(length);
  pooledBytes -= buffer.byteLength;
  return buffer;
}

/** A private copy of `source`. */
export function copyOf(source: Float32Array): Float32Array {
  const copy = takeBuffer(source.length);
  copy.set(source);
  return copy;
}

/** Hands buffers from takeBuffer/copyOf back once nothing reads or writes them any more. */
export function releaseBuffers(...buffers: (Float32Array | null)[]): void {
  for (const buffer of buffers) {
    if (buffer === null || buffer.length < MIN_POOLED_LENGTH) continue;
    if (buffer.byteLength !== buffer.length * 4) continue; // detached meanwhile: nothing to keep
    if (pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) continue;
    const list = free.get(buffer.length) ?? [];
    if (list.length >= MAX_PER_LENGTH || list.includes(buffer)) continue;
    list.push(buffer);
    free.set(buffer.length, list);
    pooledBytes += buffer.byteLength;
  }
}

/** What the pool holds (for tests). */
export function pooledBufferStats(): { buffers: number; bytes: number } {
  let buffers = 0;
  for (const list of free.values()) buffers += list.length;
  return { buffers, bytes: pooledBytes };
}
