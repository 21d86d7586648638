/** Where the repository's files are, seen from dist/bench/perf-report/ (the compiled report). */
import * as path from 'node:path';

/** The package root: three levels above dist/bench/perf-report/. */
export const ROOT = path.join(__dirname, '..', '..', '..');
