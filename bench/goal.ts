/**
 * A goal on a figure, and whether the figure meets it: shared by the benchmark's targets table
 * (targets.ts, shipped in the package) and the performance report's rows (perf-report/, not shipped).
 */

/** A goal on a number: the figure must be at most (≤) or at least (≥) the limit. */
export interface Goal {
  op: '≤' | '≥';
  limit: number;
  unit: string;
}

/** Whether `value` meets `goal`. */
export function meets(value: number, goal: Goal): boolean {
  return goal.op === '≤' ? value <= goal.limit : value >= goal.limit;
}
