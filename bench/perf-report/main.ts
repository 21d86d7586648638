/**
 * `npm run perf-report`: the timing figures the test suite does not assert, each against its goal
 * (docs/perf-report.md). The sections run one after another, in this process (the server burst
 * also starts the example server and its load clients):
 *
 *   event-loop       worst setInterval(1 ms) gap during a ~1 s attentionAsync call   goal ≤ 20 ms
 *   cancel-latency   abort() to AbortError of a running attentionAsync call           goal ≤ 10 ms
 *   server-burst     examples/inference-server under a burst: /healthz worst, throughput
 *   concurrency      8 overlapping attentionAsync calls against 8 in a row             goal ≥ 90%
 *   fma-peak         measureFmaPeak() against a standalone FMA loop (tools/fma-loop.c)  goal ≤ 5%
 *
 *   npm run perf-report                          one line per figure, then "perf-report: K of N goals met"
 *   npm run perf-report -- --json                one JSON document instead
 *   npm run perf-report -- --only fma-peak,concurrency
 *
 * A section that throws gives one row "error: <message>", NOT met, and the report goes on. The
 * process exits 0 whatever the figures (2 only for a bad argument): it reports, it does not gate.
 */
import * as os from 'node:os';
import { parseArgs as parseNodeArgs } from 'node:util';

import { info } from '../../lib/index';
import { cancelLatency } from './cancel-latency';
import { concurrency } from './concurrency';
import { eventLoop } from './event-loop';
import { fmaPeak } from './fma-peak';
import { counts, failed, formatGoal, formatMet, type Row } from './goal';
import type { Section } from './section';
import { serverBurst } from './server-burst';

const SECTIONS: Section[] = [eventLoop, cancelLatency, serverBurst, concurrency, fmaPeak];
const TITLE_WIDTH = Math.max(...SECTIONS.map((s) => s.title.length)) + 3;
const USAGE = `usage: npm run perf-report -- [--json] [--only <section,...>]\nsections: ${SECTIONS.map((s) => s.id).join(', ')}`;

interface Args { json: boolean; only: Set<string> | null }

function parseArgs(argv: string[]): Args {
  const { values } = parseNodeArgs({ args: argv, options: { json: { type: 'boolean' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  let only: Set<string> | null = null;
  for (const list of values.only ?? []) {
    const ids = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) throw new Error('--only needs a list of sections');
    only ??= new Set();
    for (const id of ids) {
      if (!SECTIONS.some((s) => s.id === id)) throw new Error(`unknown section ${JSON.stringify(id)}`);
      only.add(id);
    }
  }
  return { json: values.json === true, only };
}

/** One printed line: the section's title, the figure, its goal and met / NOT met. */
function line(title: string, row: Row): string {
  const head = title.padEnd(TITLE_WIDTH);
  if (row.error !== undefined) return `${head}${row.text}   NOT met`;
  if (row.skipped !== undefined) return `${head}${row.text}`;
  const met = formatMet(row);
  return `${head}${row.text}   ${formatGoal(row.goal)}${met === '' ? '' : `   ${met}`}`;
}

/** The machine the figures come from; the report goes on if the addon does not load. */
function machine(): Record<string, unknown> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const i = info();
    return { package: i.version, isa: i.isa, isas: i.isas, openmp: i.openmp, threads: i.threads, cpus: os.availableParallelism(), cpu, node: process.version, platform: `${process.platform}-${process.arch}` };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), cpus: os.availableParallelism(), cpu, node: process.version, platform: `${process.platform}-${process.arch}` };
  }
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const m = machine();
  if (!args.json) {
    const kernel = m.error === undefined ? `${String(m.isa)} kernel, ${String(m.threads)} threads` : `the addon did not load: ${String(m.error)}`;
    process.stdout.write(`perf-report: nonlocal-affinity ${String(m.package ?? '?')}, ${kernel}, ${String(m.cpus)} CPUs (${String(m.cpu)}), Node ${process.version}\n`);
  }
  const results: { id: string; title: string; rows: Row[] }[] = [];
  for (const section of SECTIONS) {
    if (args.only !== null && !args.only.has(section.id)) continue;
    let rows: Row[];
    try {
      rows = await section.run();
    } catch (error) {
      rows = [failed(section.id, error)];
    }
    results.push({ id: section.id, title: section.title, rows });
    if (!args.json) for (const row of rows) process.stdout.write(`${line(section.title, row)}\n`);
  }
  const all = results.flatMap((r) => r.rows).filter(counts);
  const met = all.filter((r) => r.met === true).length;
  const summary = `perf-report: ${met} of ${all.length} goals met`;
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ machine: m, sections: results, goalsMet: met, goals: all.length, summary }, null, 2)}\n`);
  } else {
    process.stdout.write(`${summary}\n`);
  }
}

main()
  .catch((error: unknown) => {
    // Nothing above should throw; if it does, still a report line and exit status 0.
    process.stdout.write(`perf-report: error: ${error instanceof Error ? error.message : String(error)}\n`);
  })
  .finally(() => {
    // Exit now: a section's leftover handle (a timer, a child's pipe) must not keep the process up.
    process.exitCode = 0;
    setImmediate(() => process.exit(0));
  });
