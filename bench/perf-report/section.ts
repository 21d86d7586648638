/** What every section of the report is: an id for --only, a title for the printed rows, and a run. */
import type { Row } from './goal';

export interface Section {
  /** for --only, e.g. 'event-loop' */
  id: string;
  /** the first column of the printed rows, e.g. 'event loop' */
  title: string;
  /** measures and returns the section's rows; a throw becomes one 'error' row (NOT met) */
  run(): Promise<Row[]>;
}
