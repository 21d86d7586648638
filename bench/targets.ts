/**
 * The speed targets every native row is held to, and whether this run met them:
 *   - share of the kernel's FMA peak: ≥ 80 % for the operator at d ≤ 64 (its exp takes FMA
 *     slots: about 17 vector operations per 8 logits against 16 FMAs per logit at dk = dv = 64),
 *     ≥ 85 % for d ≥ 256 and for the block; [1,64,64]² is held to a latency instead (≤ 15 µs);
 *   - ≥ 1.25 × the faster ONNX Runtime graph at the same thread count;
 *   - the masked rows (issue #17): ≥ 1.25 × ORT's own operator for the mask, and the causal row at
 *     ≤ 0.55 × the time of the same shape without the mask (the skipped work really is skipped).
 * Printed after the table; nothing here fails the run.
 */
import { meets, type Goal } from './goal';
import type { Row } from './report';
import { BLOCK_SHAPES, MASKED_SHAPES, OPERATOR_SHAPES } from './shapes';

const ORT_GOAL: Goal = { op: '≥', limit: 1.25, unit: '×' };
const TINY_LATENCY_GOAL: Goal = { op: '≤', limit: 0.015, unit: 'ms' };

const CAUSAL_GOAL: Goal = { op: '≤', limit: 0.55, unit: '× unmasked' };

interface Target {
  /** the figure the first goal applies to (null: only the ORT goal) */
  figure: 'percentOfPeak' | 'medianMs' | 'causalRatio' | null;
  goal: Goal | null;
}


function targetOf(shapeId: string): Target | null {
  if (BLOCK_SHAPES.some((s) => s.id === shapeId)) return { figure: 'percentOfPeak', goal: { op: '≥', limit: 85, unit: '%' } };
  const masked = MASKED_SHAPES.find((m) => m.id === shapeId);
  if (masked !== undefined) return masked.causal && masked.Hkv === undefined ? { figure: 'causalRatio', goal: CAUSAL_GOAL } : { figure: null, goal: null };
  const s = OPERATOR_SHAPES.find((o) => o.id === shapeId);
  if (s === undefined) return null;
  if (s.N * s.M <= 64 * 64) return { figure: 'medianMs', goal: TINY_LATENCY_GOAL };
  return { figure: 'percentOfPeak', goal: { op: '≥', limit: s.dk + s.dv <= 128 ? 80 : 85, unit: '%' } };
}

const verdict = (ok: boolean | null): string => (ok === null ? '—' : ok ? 'met' : '**not met**');
const shown = (value: number, unit: string): string =>
  unit === '%' ? `${value.toFixed(0)}%` : unit === 'ms' ? `${(value * 1e3).toFixed(1)} µs` : unit === '×' ? `${value.toFixed(2)}×` : `${value.toFixed(2)}${unit}`;
const goalText = (g: Goal): string => `${g.op} ${g.unit === 'ms' ? `${g.limit * 1e3} µs` : `${g.limit}${g.unit}`}`;

/**
 * The markdown table of targets for the native rows of `rows`, with a count of goals met.
 * `ortComparable` false: the native rows ran a lower kernel than the CPU's best (--isa), while ONNX
 * Runtime always runs the best, so the ratio is printed but not held to the goal.
 */
export function targetsTable(rows: Row[], ortComparable: boolean): string {
  const lines = ['| shape | contender | figure | goal | | ORT ÷ ours | goal | |', '|---|---|---:|---|---|---:|---|---|'];
  let met = 0;
  let counted = 0;
  for (const r of rows) {
    if (r.family !== 'native' || r.kind === 'native-unmasked' || r.medianMs === null) continue;
    const target = targetOf(r.shape);
    if (target === null) continue;
    let value: number | null = null;
    if (target.figure === 'causalRatio') {
      // Its twin: the same shape without the mask, same threads, in the same interleaved rounds.
      const unmasked = rows.find((o) => o.shape === r.shape && o.kind === 'native-unmasked' && o.threads === r.threads);
      value = unmasked?.medianMs ? r.medianMs / unmasked.medianMs : null;
    } else if (target.figure !== null) {
      value = r[target.figure];
    }
    const first = value === null || target.goal === null ? null : meets(value, target.goal);
    const second = r.ortOverOurs === null || !ortComparable ? null : meets(r.ortOverOurs, ORT_GOAL);
    for (const ok of [first, second]) {
      if (ok === null) continue;
      counted++;
      if (ok) met++;
    }
    lines.push(
      `| ${r.shape} | ${r.contender} | ${value === null || target.goal === null ? '—' : shown(value, target.goal.unit)} | ${target.goal === null ? '—' : goalText(target.goal)} | ${verdict(first)} | ${r.ortOverOurs === null ? '—' : shown(r.ortOverOurs, '×')} | ${goalText(ORT_GOAL)} | ${verdict(second)} |`,
    );
  }
  const note = ortComparable ? '' : ' (ORT ÷ ours not held to its goal: ORT runs the best kernel this CPU has, the native rows a lower one)';
  return [`Targets: ${met} of ${counted} met${note}.`, '', ...lines].join('\n');
}
