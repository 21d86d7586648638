'use strict';
/**
 * A load generator for server.js: a /healthz poller and a burst of POST /block requests, each run
 * as its own process, so that neither one's event loop delays the other's timing, nor that of the
 * process that forks them. Used by test/server/inference-server.test.ts and by `npm run
 * perf-report` (bench/perf-report/server-burst.ts); it needs a parent with an IPC channel (fork):
 *
 *   node load-client.js poll  <port> <intervalMs>  GET /healthz every intervalMs until told to stop
 *   node load-client.js burst <port> <dir> <concurrency> [nice]
 *       POST dir/manifest.json's bodies, concurrency at a time; each answer goes to dir/res-<i>.bin.
 *       With nice, the process first lowers its own priority to it: the load generator stands for
 *       clients on other machines, and should not take the server's cores on a small machine.
 *
 * dir/manifest.json is an array of { headers } (one per request); the bodies are dir/req-<i>.bin.
 * Over IPC: poll sends {ready} after its first request; on 'stop' it sends {polls} and exits. Each
 * poll is { t0, t1, ok, busy, firstOnConnection }: busy when the server's answer said a block was
 * running or queued (its schedulerStats()), so /healthz was answered while blocks ran.
 * burst sends {ready} once the bodies are in memory; on 'go' it runs and sends {result}, then exits.
 * Times are absolute milliseconds (performance.timeOrigin + performance.now()), comparable between
 * processes, so the parent can pick the polls that overlap the burst.
 */
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const HOST = '127.0.0.1';
const now = () => performance.timeOrigin + performance.now();

function request(agent, port, method, urlPath, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: urlPath, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function poll(port, intervalMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const polls = [];
  let stop = false;
  process.on('message', (m) => { if (m === 'stop') stop = true; });
  let first = true;
  while (!stop) {
    const t0 = now();
    const r = await request(agent, port, 'GET', '/healthz', {});
    const t1 = now();
    let ok = r.status === 200;
    let busy = false; // the server had a block running or queued when it answered
    try {
      const h = JSON.parse(r.body.toString('utf8'));
      ok = ok && h.ok === true && typeof h.running === 'number' && typeof h.queued === 'number';
      busy = ok && h.running + h.queued > 0;
    } catch {
      ok = false;
    }
    polls.push({ t0, t1, ok, busy, firstOnConnection: first });
    if (first) { first = false; process.send({ ready: true }); }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  agent.destroy();
  process.send({ polls }, () => process.exit(0));
}

/** Every thread of this process (on Linux a priority is per thread; new threads inherit it). */
function lowerPriority(nice) {
  let tids = [0];
  try {
    tids = fs.readdirSync('/proc/self/task').map(Number);
  } catch {
    // not Linux: os.setPriority(0, n) is the whole process there
  }
  for (const tid of tids) {
    try {
      os.setPriority(tid, nice);
    } catch {
      // exited meanwhile
    }
  }
}

async function burst(port, dir, concurrency, nice) {
  if (nice > 0) lowerPriority(nice);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const bodies = manifest.map((m, i) => ({ headers: m.headers, body: fs.readFileSync(path.join(dir, `req-${i}.bin`)) }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  await new Promise((resolve) => {
    process.once('message', (m) => { if (m === 'go') resolve(); });
    process.send({ ready: true });
  });
  const replies = new Array(bodies.length);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const t0 = now();
      const r = await request(agent, port, 'POST', '/block', bodies[i].headers, bodies[i].body);
      replies[i] = { status: r.status, contentType: r.headers['content-type'], elapsedMs: Number(r.headers['x-elapsed-ms']), latencyMs: now() - t0, body: r.body };
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const end = now();
  agent.destroy();
  // Written after the burst, so the files cost nothing while it runs.
  replies.forEach((r, i) => fs.writeFileSync(path.join(dir, `res-${i}.bin`), r.body));
  const result = { start, end, replies: replies.map(({ body, ...rest }) => rest) };
  process.send({ result }, () => process.exit(0));
}

const [mode, port, a, b, c] = process.argv.slice(2);
const run = mode === 'poll' ? poll(Number(port), Number(a)) : mode === 'burst' ? burst(Number(port), a, Number(b), Number(c || 0)) : Promise.reject(new Error(`unknown mode ${mode}`));
run.catch((e) => {
  process.stderr.write(`${e && e.stack}\n`);
  process.exit(1);
});
