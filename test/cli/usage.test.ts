/**
 * Usage errors exit 2 with the usage on stderr (and, with --json, a JSON document saying so);
 * --help and --version exit 0.
 */
import { cli, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('usage errors', () => {
  it.each([
    ['no command', []],
    ['an unknown command', ['transmogrify']],
    ['an unknown option', ['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'y.npy', '--bogus']],
    ['a missing required option', ['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy']],
    ['a bad number', ['attend', '--query', 'q.npy', '--key', 'k.npy', '--value', 'v.npy', '--output', 'y.npy', '--scale', '-1']],
    ['a bad affinity', ['block', '--input', 'x.npy', '--weights', 'w.safetensors', '--output', 'z.npy', '--mode', 'cosine']],
    ['a bad shard', ['batch', '--weights', 'w.safetensors', '--out-dir', 'out', 'in', '--shard', '3/3']],
    ['a batch without inputs', ['batch', '--weights', 'w.safetensors', '--out-dir', 'out']],
    ['a bad grid', ['map', '--query', 'q.npy', '--key', 'k.npy', '--position', '1,1', '--shape', '8,0', '--png', 'm.png']],
  ])('%s: exit 2, usage on stderr, nothing on stdout', (_, args) => {
    const r = cli(args, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: nonlocal-affinity/);
    expect(r.stdout).toBe('');
  });

  it('with --json, stdout holds one JSON document with code E_USAGE', () => {
    const r = cli(['batch', '--weights', 'w.safetensors', '--out-dir', 'out', 'in', '--shard', '1/0', '--json'], dir);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, errors: [{ code: 'E_USAGE', message: expect.stringMatching(/--shard/) }] });
  });

  it('--help and --version exit 0', () => {
    const help = cli(['--help'], dir);
    expect(help.code).toBe(0);
    for (const command of ['attend', 'block', 'batch', 'map', 'bench', 'info', 'demo']) expect(help.stdout).toContain(command);
    expect(cli(['batch', '--help'], dir).stdout).toMatch(/--shard <i\/n>/);
    expect(cli(['--version'], dir).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
