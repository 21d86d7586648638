/**
 * One row of the performance report: a figure, its goal, and whether the goal is met. Every
 * section returns rows of this shape; main.ts prints them (or puts them in the JSON document) and
 * counts the goals.
 */

import { meets, type Goal } from '../goal';

export { meets, type Goal };

export interface Row {
  /** the section's id, e.g. 'event-loop' */
  section: string;
  /** the figure in words, e.g. 'worst gap 3.1 ms during a 1012 ms attentionAsync call (…)' */
  text: string;
  /** the number the goal applies to (null for a skipped or failed row) */
  value: number | null;
  unit: string;
  /** null: nothing to meet ('—'); the row does not count in "K of N goals met" */
  goal: Goal | null;
  /** null when the row has no goal or was skipped; otherwise whether the goal is met */
  met: boolean | null;
  /** why the row was skipped, if it was */
  skipped?: string;
  /** an error message, if the section threw */
  error?: string;
  /** the raw figures behind the text, for --json */
  details?: Record<string, unknown>;
}

/**
 * A row whose goal applies to `value`. `also` is an extra condition the goal includes (e.g. "out
 * untouched"): the row is met only if both hold.
 */
export function figure(section: string, text: string, value: number, unit: string, goal: Goal | null, also = true, details?: Record<string, unknown>): Row {
  const met = goal === null ? null : meets(value, goal) && also;
  return { section, text, value, unit, goal, met, ...(details === undefined ? {} : { details }) };
}

/** A row with nothing to measure here (e.g. no gcc, no examples/ directory); `label` names a sub-row. */
export function skipped(section: string, label: string, reason: string): Row {
  const text = label === '' ? `skipped (${reason})` : `${label}: skipped (${reason})`;
  return { section, text, value: null, unit: '', goal: null, met: null, skipped: reason };
}

/** The row of a section that threw: one goal, not met. The printed text is one line; --json has the whole message. */
export function failed(section: string, error: unknown): Row {
  const message = error instanceof Error ? error.message : String(error);
  let oneLine = message.replace(/\s*\n\s*/g, ' | ');
  if (oneLine.length > 300) oneLine = `${oneLine.slice(0, 297)}...`;
  return { section, text: `error: ${oneLine}`, value: null, unit: '', goal: null, met: false, error: message };
}

/** 'goal ≤ 20 ms', 'goal ≥ 90%', or 'goal —'. */
export function formatGoal(goal: Goal | null): string {
  if (goal === null) return 'goal —';
  const unit = goal.unit === '%' ? '%' : goal.unit === '' ? '' : ` ${goal.unit}`;
  return `goal ${goal.op} ${goal.limit}${unit}`;
}

/** 'met', 'NOT met', or '' (no goal, or skipped). */
export function formatMet(row: Row): string {
  return row.met === null ? '' : row.met ? 'met' : 'NOT met';
}

/** Whether the row counts in "K of N goals met": it has a goal, or it is a section's error. */
export function counts(row: Row): boolean {
  return row.met !== null;
}

/** A number with `digits` decimals (fewer for large numbers: 1012 ms, not 1012.0 ms). */
export function num(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits);
}
