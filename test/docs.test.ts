/** docs/api.md stays true to the exports: every name lib/index.ts exports is documented there. */
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as lib from '../lib/index';

const api = fs.readFileSync(path.join(__dirname, '..', 'docs', 'api.md'), 'utf8');
const source = fs.readFileSync(path.join(__dirname, '..', 'lib', 'index.ts'), 'utf8');

test.each(Object.keys(lib))('runtime export %s is documented in docs/api.md', (name) => {
  expect(api).toMatch(new RegExp(`\\b${name}\\b`));
});

test('every exported type name is documented in docs/api.md', () => {
  const typeNames = [...source.matchAll(/\btype\s+([A-Z]\w+)/g), ...source.matchAll(/export type \{([^}]+)\}/g)]
    .flatMap((m) => m[1].split(',').map((s) => s.trim()))
    .filter(Boolean);
  expect(typeNames.length).toBeGreaterThan(5);
  for (const name of typeNames) expect(api).toMatch(new RegExp(`\\b${name}\\b`));
});
