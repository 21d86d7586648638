/** Where the repository's files are, from the compiled report (dist/bench/perf-report/) or its sources alike. */
import { packageRoot } from '../../lib/native/binding';

/** The package root: the nearest folder above holding our package.json. */
export const ROOT = packageRoot();
