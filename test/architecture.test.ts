/**
 * The layout of lib/ (docs/architecture.md): no import cycles, and every room imports only the
 * rooms below it (the table below — the same one docs/architecture.md shows).
 *
 * By hand:
 *   npx madge --circular --extensions ts --ts-config tsconfig.json lib/
 *   npx madge --extensions ts --ts-config tsconfig.json lib/          (the whole graph)
 */
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const madge = require('madge') as (
  target: string,
  config: { fileExtensions: string[]; tsConfig: string; baseDir?: string },
) => Promise<{ obj(): Record<string, string[]>; circular(): string[][]; warnings(): { skipped: string[] } }>;

const root = path.resolve(__dirname, '..');

/**
 * What each room of lib/ may import besides itself. `(root)` is lib/index.ts, the public API.
 * Type-only imports count too: the native boundary must not even know the types above it.
 */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  native: ['core'],
  runtime: ['core', 'native'],
  io: ['core'],
  attention: ['core', 'native', 'runtime'],
  block: ['core', 'native', 'runtime', 'io'],
  reference: ['core', 'attention', 'block'],
  '(root)': ['core', 'native', 'runtime', 'io', 'attention', 'block', 'reference'],
  cli: ['(root)', 'core', 'io'],
};

/** The room of a file path relative to lib/: its first folder, or (root). */
function roomOf(file: string): string {
  return file.includes('/') ? file.split('/')[0] : '(root)';
}

let graph: Record<string, string[]>;
let cycles: string[][];
let skipped: string[];

beforeAll(async () => {
  const result = await madge(path.join(root, 'lib'), { fileExtensions: ['ts'], tsConfig: path.join(root, 'tsconfig.json') });
  graph = result.obj();
  cycles = result.circular();
  skipped = result.warnings().skipped;
}, 60000);

test('madge sees the whole of lib/ (every import resolved)', () => {
  expect(skipped).toEqual([]);
  expect(Object.keys(graph)).toEqual(expect.arrayContaining(['index.ts', 'core/tensor.ts', 'native/binding.ts', 'runtime/async-call.ts', 'attention/attention.ts', 'block/block.ts', 'cli/main.ts']));
});

test('lib/ has no import cycles', () => {
  expect(cycles).toEqual([]);
});

test('every file of lib/ is in a known room', () => {
  const unknown = Object.keys(graph).filter((file) => !(roomOf(file) in ALLOWED));
  expect(unknown).toEqual([]);
});

test('each room imports only the rooms its row of the table allows', () => {
  const violations: string[] = [];
  for (const [file, deps] of Object.entries(graph)) {
    const from = roomOf(file);
    for (const dep of deps) {
      const to = roomOf(dep);
      if (to !== from && !(ALLOWED[from] ?? []).includes(to)) violations.push(`${file} -> ${dep} (${from} may import ${ALLOWED[from]?.join(', ') || 'nothing'})`);
    }
  }
  expect(violations).toEqual([]);
});

test('the native boundary depends on nothing above it', () => {
  const up = Object.entries(graph)
    .filter(([file]) => roomOf(file) === 'native')
    .flatMap(([file, deps]) => deps.filter((d) => !['native', 'core'].includes(roomOf(d))).map((d) => `${file} -> ${d}`));
  expect(up).toEqual([]);
});
