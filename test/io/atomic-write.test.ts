import fs from 'node:fs';
import path from 'node:path';
import { tempPathFor, writeFileAtomic } from '../../lib/io/atomic-write';
import { writeNpy } from '../../lib/io/npy';
import { writeSafetensors } from '../../lib/io/safetensors';
import { listDir, makeTempDir } from './fixtures';

const root = makeTempDir('atomic');
let n = 0;

/** A fresh empty directory per test, so listings prove exactly what was left behind. */
function freshDir(): string {
  const dir = path.join(root, `t${n++}`);
  fs.mkdirSync(dir);
  return dir;
}

const simulated = (code: string): Error => Object.assign(new Error(`${code}: simulated failure`), { code });

afterEach(() => jest.restoreAllMocks());

describe('writeFileAtomic', () => {
  test('creates a file with exactly the bytes, leaving no temp file', () => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    writeFileAtomic(p, new Uint8Array([1, 2, 3, 250]));
    expect([...fs.readFileSync(p)]).toEqual([1, 2, 3, 250]);
    expect(listDir(dir)).toEqual(['a.bin']);
  });

  test('replaces an existing file whole', () => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    fs.writeFileSync(p, 'old contents that are longer than the new ones');
    writeFileAtomic(p, new Uint8Array([7]));
    expect([...fs.readFileSync(p)]).toEqual([7]);
    expect(listDir(dir)).toEqual(['a.bin']);
  });

  test('writes an empty file and a subarray view correctly', () => {
    const dir = freshDir();
    writeFileAtomic(path.join(dir, 'empty'), new Uint8Array(0));
    expect(fs.statSync(path.join(dir, 'empty')).size).toBe(0);
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    writeFileAtomic(path.join(dir, 'view'), backing.subarray(1, 4));
    expect([...fs.readFileSync(path.join(dir, 'view'))]).toEqual([1, 2, 3]);
  });

  test('a missing directory fails with ENOENT naming the path, and creates nothing', () => {
    const dir = freshDir();
    const p = path.join(dir, 'missing', 'a.bin');
    expect(() => writeFileAtomic(p, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => writeFileAtomic(p, new Uint8Array([1]))).toThrow(`(while writing ${p})`);
    expect(listDir(dir)).toEqual([]);
  });

  test('a target that is a directory fails, removes the temp file and leaves the directory alone', () => {
    const dir = freshDir();
    const target = path.join(dir, 'sub');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    expect(() => writeFileAtomic(target, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST|EPERM)$/) }));
    expect(listDir(dir)).toEqual(['sub']);
    expect(listDir(target)).toEqual(['keep']);
  });

  test.each([
    ['writeSync', 'ENOSPC'],
    ['fsyncSync', 'EIO'],
    ['closeSync', 'EIO'],
    ['renameSync', 'EXDEV'],
  ] as const)('a failing %s leaves the old target intact and no temp file', (fn, code) => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    fs.writeFileSync(p, 'old');
    const real = fs[fn] as (...args: unknown[]) => unknown;
    let calls = 0;
    jest.spyOn(fs, fn).mockImplementation(((...args: unknown[]) => {
      // Fail the first call only, so the cleanup path's own close still works.
      if (calls++ === 0) {
        if (fn === 'closeSync') real.apply(fs, args); // a failing close still releases the descriptor
        throw simulated(code);
      }
      return real.apply(fs, args);
    }) as never);
    expect(() => writeFileAtomic(p, new Uint8Array(100).fill(1))).toThrow(`${code}: simulated failure (while writing ${p})`);
    jest.restoreAllMocks();
    expect(fs.readFileSync(p, 'utf8')).toBe('old');
    expect(listDir(dir)).toEqual(['a.bin']);
  });

  test('a write that dies half-way never exposes a partial target', () => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    const real = fs.writeSync as (...args: unknown[]) => number;
    let calls = 0;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) => {
      // Accept half of the data, then fail like a full disk.
      if (calls++ === 0) return real(fd, buf, off, Math.floor(len / 2));
      throw simulated('ENOSPC');
    }) as never);
    expect(() => writeFileAtomic(p, new Uint8Array(64).fill(3))).toThrow(/ENOSPC/);
    jest.restoreAllMocks();
    expect(fs.existsSync(p)).toBe(false);
    expect(listDir(dir)).toEqual([]);
  });

  test('short writes are continued until everything is written', () => {
    const dir = freshDir();
    const p = path.join(dir, 'a.bin');
    const real = fs.writeSync as (...args: unknown[]) => number;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off: number, len: number) => real(fd, buf, off, Math.min(len, 7))) as never);
    const bytes = Uint8Array.from({ length: 50 }, (_, i) => i);
    writeFileAtomic(p, bytes);
    jest.restoreAllMocks();
    expect([...fs.readFileSync(p)]).toEqual([...bytes]);
  });

  test('the data is fsynced before the rename', () => {
    const dir = freshDir();
    const order: string[] = [];
    const realFsync = fs.fsyncSync;
    const realRename = fs.renameSync;
    jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      order.push('fsync');
      realFsync(fd);
    });
    jest.spyOn(fs, 'renameSync').mockImplementation((a, b) => {
      order.push('rename');
      realRename(a, b);
    });
    writeFileAtomic(path.join(dir, 'a.bin'), new Uint8Array([1]));
    expect(order.slice(0, 2)).toEqual(['fsync', 'rename']);
  });

  test('argument types are checked before touching the disk', () => {
    const dir = freshDir();
    expect(() => writeFileAtomic('', new Uint8Array(1))).toThrow(new TypeError('writeFileAtomic: path must be a non-empty string, got an empty string'));
    expect(() => writeFileAtomic(path.join(dir, 'a'), 'text' as unknown as Uint8Array)).toThrow(new TypeError('writeFileAtomic: bytes must be a Uint8Array, got string'));
    expect(() => writeFileAtomic(path.join(dir, 'a'), [1] as unknown as Uint8Array)).toThrow(/got Array/);
    expect(listDir(dir)).toEqual([]);
  });

  test('temp names are siblings, hidden, tagged with the pid, and unique', () => {
    const p = path.join(root, 'x', 'model.npy');
    const a = tempPathFor(p);
    const b = tempPathFor(p);
    expect(path.dirname(a)).toBe(path.dirname(p));
    expect(path.basename(a)).toMatch(new RegExp(`^\\.model\\.npy\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
    expect(a).not.toBe(b);
  });
});

describe('the file writers are atomic', () => {
  test('a failed writeNpy keeps the previous file', () => {
    const dir = freshDir();
    const p = path.join(dir, 'w.npy');
    writeNpy(p, { data: new Float32Array([1]), shape: [1] });
    const before = fs.readFileSync(p);
    jest.spyOn(fs, 'renameSync').mockImplementation(() => {
      throw simulated('EACCES');
    });
    expect(() => writeNpy(p, { data: new Float32Array([2, 3]), shape: [2] })).toThrow(/EACCES/);
    jest.restoreAllMocks();
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    expect(listDir(dir)).toEqual(['w.npy']);
  });

  test('a failed writeSafetensors keeps the previous file', () => {
    const dir = freshDir();
    const p = path.join(dir, 'w.safetensors');
    fs.writeFileSync(p, 'previous');
    jest.spyOn(fs, 'fsyncSync').mockImplementationOnce(() => {
      throw simulated('EIO');
    });
    expect(() => writeSafetensors(p, { w: { data: new Float32Array([2]), shape: [] } })).toThrow(/EIO/);
    jest.restoreAllMocks();
    expect(fs.readFileSync(p, 'utf8')).toBe('previous');
    expect(listDir(dir)).toEqual(['w.safetensors']);
  });
});
