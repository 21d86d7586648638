/**
 * server burst: examples/inference-server/server.js under a burst of 40 POST /block requests
 * ([1,64,32,32], 8 at a time) while another process polls GET /healthz every 5 ms, as
 * test/server/inference-server.test.ts does. The load generator and the poller are
 * examples/inference-server/load-client.js, each in its own process, so neither's event loop
 * delays the other's timing, nor this process's.
 *
 * Goals: /healthz worst during the burst ≤ 20 ms (issue #8); throughput ≥ 90% of the same 40
 * blocks computed in this process one after another by nonLocalBlock with the server's thread
 * count (cores − 1, at least 1), and every answer equal to encodeNpy(nonLocalBlock(x, weights))
 * byte for byte. The request latency p50/p99 are printed without a goal.
 * Skipped where examples/ is absent (an installed package).
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { loadNonLocalWeights, nonLocalBlock } from '../../lib/index';
import { figure, num, skipped, type Goal, type Row } from './goal';
import type { Section } from './section';
import { CLIENT, killAll, nextMessage, SERVER, startClient, startServer, writeBurst, writeMmcvWeights, type BurstResult, type Poll } from './server-harness';
import { median, percentile, sleep } from './stats';

const ID = 'server-burst';
const C = 64;
const CI = 32;
const SHAPE = [1, C, 32, 32];
const MAX_BYTES = 1 << 20; // a [1,64,32,32] body is 256 KiB
const REQUESTS = 40;
const CONCURRENCY = 8;
const POLL_INTERVAL_MS = 5;
const LOADER_NICE = 10;
const REFERENCE_ROUNDS = 3;
const HEALTHZ_GOAL: Goal = { op: '≤', limit: 20, unit: 'ms' };
const THROUGHPUT_GOAL: Goal = { op: '≥', limit: 90, unit: '%' };

async function run(): Promise<Row[]> {
  if (!fs.existsSync(SERVER) || !fs.existsSync(CLIENT)) return [skipped(ID, '', 'no examples/inference-server/ (an installed package)')];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nl-perf-server-'));
  const children: ChildProcess[] = [];
  try {
    const weightsFile = path.join(dir, 'w.safetensors');
    writeMmcvWeights(weightsFile, C, CI);
    const weights = await loadNonLocalWeights(weightsFile);
    // Inputs and expected answers; the bodies go to files the burst process reads before it starts.
    const { inputs, expected } = writeBurst(dir, weights, REQUESTS, SHAPE);

    // The reference: the same 40 blocks in this process, one after another, on the server's thread count.
    const threads = Math.max(1, os.availableParallelism() - 1);
    nonLocalBlock(inputs[0], weights, { threads }); // warm-up
    const rounds: number[] = [];
    for (let r = 0; r < REFERENCE_ROUNDS; r++) {
      const t0 = performance.now();
      for (const x of inputs) nonLocalBlock(x, weights, { threads });
      rounds.push(performance.now() - t0);
    }
    const referenceMs = median(rounds);
    const referenceRate = REQUESTS / (referenceMs / 1000);

    const { port } = await startServer(weightsFile, MAX_BYTES, children);
    // The clients' stdout goes to this process's stderr: stdout may be carrying the --json document.
    const quiet = ['ignore', 2, 2, 'ipc'] as const;
    const loader = await startClient(['burst', String(port), dir, String(CONCURRENCY), String(LOADER_NICE)], children, [...quiet]);
    const poller = await startClient(['poll', String(port), String(POLL_INTERVAL_MS)], children, [...quiet]);
    await sleep(150); // idle polls, for comparison
    const burstDone = nextMessage<{ result: BurstResult }>(loader);
    loader.send('go');
    const { result } = await burstDone;
    await sleep(50);
    const pollsDone = nextMessage<{ polls: Poll[] }>(poller);
    poller.send('stop');
    const { polls } = await pollsDone;

    // Every answer, byte for byte.
    let correct = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const r = result.replies[i];
      if (r.status !== 200 || r.contentType !== 'application/x-npy') continue;
      if (fs.readFileSync(path.join(dir, `res-${i}.bin`)).equals(expected[i])) correct++;
    }

    const during = polls.filter((p) => p.t0 < result.end && p.t1 > result.start).map((p) => p.t1 - p.t0);
    const idle = polls.filter((p) => p.t1 <= result.start && !p.firstOnConnection).map((p) => p.t1 - p.t0);
    const pollsOk = polls.every((p) => p.ok);
    if (during.length === 0) throw new Error('no /healthz poll overlapped the burst');
    const worst = Math.max(...during);
    const wallMs = result.end - result.start;
    const rate = REQUESTS / (wallMs / 1000);
    const percent = (100 * rate) / referenceRate;
    const latencies = result.replies.map((r) => r.latencyMs);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const burst = `${REQUESTS} requests [${SHAPE.join(',')}], ${CONCURRENCY} at a time`;

    return [
      figure(ID,
        `/healthz worst ${num(worst)} ms, p50 ${num(percentile(during, 50))} ms over ${during.length} polls during the ${wallMs.toFixed(0)} ms burst (idle p50 ${num(percentile(idle, 50))} ms); all answers ok: ${pollsOk ? 'yes' : 'no'}`,
        worst, 'ms', HEALTHZ_GOAL, pollsOk,
        { worstMs: worst, p50Ms: percentile(during, 50), polls: during.length, idleP50Ms: percentile(idle, 50), idlePolls: idle.length, allOk: pollsOk, pollIntervalMs: POLL_INTERVAL_MS }),
      figure(ID,
        `throughput ${num(rate)} req/s (${burst}) = ${num(percent)}% of ${num(referenceRate)} blocks/s in-process (nonLocalBlock one after another, ${threads} thread${threads === 1 ? '' : 's'}); answers correct: ${correct}/${REQUESTS}`,
        percent, '%', THROUGHPUT_GOAL, correct === REQUESTS,
        { requestsPerSecond: rate, burstMs: wallMs, referenceBlocksPerSecond: referenceRate, referenceMs, referenceRoundsMs: rounds, threads, correct, requests: REQUESTS, concurrency: CONCURRENCY, loaderNice: LOADER_NICE }),
      figure(ID,
        `request latency p50 ${num(p50)} ms, p99 ${num(p99)} ms (${burst})`,
        p99, 'ms', null, true,
        { p50Ms: p50, p99Ms: p99 }),
    ];
  } finally {
    killAll(children);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const serverBurst: Section = { id: ID, title: 'server burst', run };
