/**
 * examples/inference-server/server.js end to end: a child process on 127.0.0.1 (port 0), a burst
 * of concurrent POST /block requests whose answers are checked bit for bit against nonLocalBlock
 * (after the burst), /healthz answering while blocks run, and the JSON errors (413/400/404/405/415).
 *
 * The burst and the /healthz poller are two more processes (examples/inference-server/load-client.js).
 * How fast /healthz answers during the burst, the throughput and the latencies are machine
 * figures: `npm run perf-report` measures them against their goals; nothing here is timed.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { seededFloats } from '../../lib/core/seeded-random';
import { encodeNpy, loadNonLocalWeights, nonLocalBlock, parseNpy, type NonLocalWeights, type Tensor } from '../../lib/index';
import { killAll, nextMessage, rawBody, startClient, startServer, writeBurst, writeMmcvWeights, type BurstResult, type Poll } from '../../bench/perf-report/server-harness';

jest.setTimeout(120_000);

const HOST = '127.0.0.1';
const C = 64;
const CI = 32;
const SHAPE = [1, C, 32, 32];
const MAX_BYTES = 1 << 20; // 1 MiB: a [1,64,32,32] body is 256 KiB
const REQUESTS = 40;
const CONCURRENCY = 8;
const POLL_INTERVAL_MS = 1; // back to back: a burst of 40 blocks spans many polls on any machine
const LOADER_NICE = Number(process.env.NL_TEST_LOADER_NICE ?? 10);

let dir = '';
const children: ChildProcess[] = []; // the server first
let port = 0;
let weights: NonLocalWeights;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** Deterministic floats in [-a, a) (the package's one seeded generator). */
const randomFloats = (n: number, seed: number, a: number): Float32Array => seededFloats(n, seed, -a, a);

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(method: string, urlPath: string, headers: http.OutgoingHttpHeaders, body?: Uint8Array, useAgent: http.Agent | false = agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path: urlPath, headers, agent: useAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}

function jsonError(r: Reply): { code: string; message: string } {
  expect(r.headers['content-type']).toBe('application/json');
  const parsed = JSON.parse(r.body.toString('utf8')) as { error: { code: string; message: string } };
  expect(typeof parsed.error.code).toBe('string');
  expect(typeof parsed.error.message).toBe('string');
  expect(parsed.error.message.length).toBeGreaterThan(0);
  return parsed.error;
}

/**
 * A body over the limit: either a Content-Length over it with no body bytes sent (the server must
 * answer 413 from the header alone), or chunked with one byte over it (counted while streaming).
 * Waits for the 413 without ending the request, then drops the connection.
 */
function oversized(chunked: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'application/octet-stream', 'X-Shape': '1,64,64,64' };
    if (!chunked) headers['Content-Length'] = String(4 * 64 ** 3 * 4); // 4 MiB declared
    let settled = false;
    const req = http.request({ host: HOST, port, method: 'POST', path: '/block', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        req.destroy();
      });
    });
    req.on('error', (e) => { if (!settled) reject(e); });
    if (!chunked) {
      req.flushHeaders(); // headers only: the 413 comes from Content-Length alone
    } else {
      // Exactly one byte over the limit, then wait (nothing left in flight when the server closes).
      for (let sent = 0; sent < MAX_BYTES; sent += 128 * 1024) req.write(Buffer.alloc(128 * 1024, 1));
      req.write(Buffer.alloc(1, 1));
    }
    setTimeout(() => { if (!settled) { reject(new Error('no 413 within 10 s')); req.destroy(); } }, 10_000).unref();
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nl-server-'));
  const file = path.join(dir, 'w.safetensors');
  writeMmcvWeights(file, C, CI);
  weights = await loadNonLocalWeights(file);
  const listening = await startServer(file, MAX_BYTES, children);
  expect(listening.host).toBe(HOST);
  port = listening.port;
});

afterAll(() => {
  agent.destroy();
  healthAgent.destroy();
  killAll(children);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a concurrent burst: every answer equals nonLocalBlock bit for bit; /healthz answers while blocks run', async () => {
  // Inputs, bodies and expected answers all before the burst; the bodies go to files the burst
  // process reads before it starts.
  const { expected } = writeBurst(dir, weights, REQUESTS, SHAPE);

  const loader = await startClient(['burst', String(port), dir, String(CONCURRENCY), String(LOADER_NICE)], children);
  const poller = await startClient(['poll', String(port), String(POLL_INTERVAL_MS)], children);
  const burstDone = nextMessage<{ result: BurstResult }>(loader);
  loader.send('go');
  const { result } = await burstDone;
  const pollsDone = nextMessage<{ polls: Poll[] }>(poller);
  poller.send('stop');
  const { polls } = await pollsDone;

  // Every /healthz answer was a well-formed 200, and the server answered it while a block was
  // running or queued (its own schedulerStats() said so): the event loop was not held by the work.
  expect(polls.every((p) => p.ok)).toBe(true);
  expect(polls.some((p) => p.busy)).toBe(true);

  // Every answer, byte for byte: the whole .npy equals encodeNpy(nonLocalBlock(x)).
  for (let i = 0; i < REQUESTS; i++) {
    const r = result.replies[i];
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/x-npy');
    expect(Number.isFinite(r.elapsedMs)).toBe(true); // the header is a number (its size is the machine's)
    const body = fs.readFileSync(path.join(dir, `res-${i}.bin`));
    const z = parseNpy(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    expect(z.shape).toEqual(SHAPE);
    expect(body.equals(Buffer.from(expected[i].buffer, expected[i].byteOffset, expected[i].byteLength))).toBe(true);
  }
});

test('errors are JSON (413, 400, 404, 405, 415) and the server keeps serving', async () => {
  for (const chunked of [false, true]) {
    const r = await oversized(chunked);
    expect(r.status).toBe(413);
    expect(jsonError(r).code).toBe('E_TOO_LARGE');
  }

  const x: Tensor = { data: randomFloats(C * 32 * 32, 7, 1), shape: SHAPE };
  const raw = { 'Content-Type': 'application/octet-stream' };
  const bad = async (headers: http.OutgoingHttpHeaders, body: Uint8Array, status: number, code: string | RegExp): Promise<void> => {
    const r = await request('POST', '/block', headers, body);
    expect(r.status).toBe(status);
    const e = jsonError(r);
    if (typeof code === 'string') expect(e.code).toBe(code); else expect(e.code).toMatch(code);
  };
  await bad(raw, rawBody(x), 400, 'E_BAD_SHAPE'); // no X-Shape
  await bad({ ...raw, 'X-Shape': '1,64,x,32' }, rawBody(x), 400, 'E_BAD_SHAPE');
  await bad({ ...raw, 'X-Shape': '1,64,0,32' }, rawBody(x), 400, 'E_BAD_SHAPE');
  await bad({ ...raw, 'X-Shape': '1,64,32,31' }, rawBody(x), 400, 'E_LENGTH_MISMATCH');
  await bad({ ...raw, 'X-Shape': SHAPE.join(',') }, rawBody(x).subarray(0, 1000), 400, 'E_LENGTH_MISMATCH');
  const npy = encodeNpy(x);
  const corrupt = Uint8Array.from(npy);
  corrupt[0] = 0x00; // bad magic
  await bad({ 'Content-Type': 'application/x-npy' }, corrupt, 400, 'NPY_BAD_MAGIC');
  await bad({ 'Content-Type': 'application/x-npy' }, npy.subarray(0, npy.length - 8), 400, /^NPY_/); // truncated
  // Wrong channel count: the block's RangeError, as raw and as .npy.
  const wrongC: Tensor = { data: randomFloats(32 * 16 * 16, 8, 1), shape: [1, 32, 16, 16] };
  await bad({ ...raw, 'X-Shape': wrongC.shape.join(',') }, rawBody(wrongC), 400, /.+/);
  await bad({ 'Content-Type': 'application/x-npy' }, encodeNpy(wrongC), 400, /.+/);
  const wc = await request('POST', '/block', { 'Content-Type': 'application/x-npy' }, encodeNpy(wrongC));
  expect(jsonError(wc).message).toMatch(/64|channel/i);
  await bad({ 'Content-Type': 'text/plain' }, rawBody(x), 415, 'E_UNSUPPORTED_MEDIA_TYPE');

  const notFound = await request('GET', '/nope', {});
  expect(notFound.status).toBe(404);
  expect(jsonError(notFound).code).toBe('E_NOT_FOUND');
  const wrongMethod = await request('GET', '/block', {});
  expect(wrongMethod.status).toBe(405);
  expect(jsonError(wrongMethod).code).toBe('E_METHOD_NOT_ALLOWED');
  const wrongMethod2 = await request('POST', '/healthz', {}, new Uint8Array(0));
  expect(wrongMethod2.status).toBe(405);

  // Still serving, with the right answer.
  const ok = await request('POST', '/block', { ...raw, 'X-Shape': SHAPE.join(',') }, rawBody(x));
  expect(ok.status).toBe(200);
  const z = parseNpy(new Uint8Array(ok.body.buffer, ok.body.byteOffset, ok.body.byteLength));
  const want = nonLocalBlock(x, weights).data;
  expect(Buffer.from(z.data.buffer, z.data.byteOffset, z.data.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
  expect(children[0].exitCode).toBeNull();
});

test('a client that disconnects mid-computation does not take the server down', async () => {
  // A larger input, dropped right after it is sent; the block is aborted and the server answers the next call.
  const big: Tensor = { data: randomFloats(C * 64 * 64, 9, 1), shape: [1, C, 64, 64] };
  await new Promise<void>((resolve) => {
    const req = http.request({ host: HOST, port, method: 'POST', path: '/block', agent: false,
      headers: { 'Content-Type': 'application/octet-stream', 'X-Shape': big.shape.join(',') } });
    req.on('error', () => resolve());
    req.end(Buffer.from(rawBody(big)), () => setTimeout(() => { req.destroy(); resolve(); }, 20));
  });
  const h = await request('GET', '/healthz', {}, undefined, healthAgent);
  expect(h.status).toBe(200);
  const x: Tensor = { data: randomFloats(C * 32 * 32, 10, 1), shape: SHAPE };
  const ok = await request('POST', '/block', { 'Content-Type': 'application/x-npy' }, encodeNpy(x));
  expect(ok.status).toBe(200);
  // Once the aborted call is gone, nothing is left running or queued.
  let stats = { running: -1, queued: -1 };
  for (let i = 0; i < 100; i++) {
    stats = JSON.parse((await request('GET', '/healthz', {}, undefined, healthAgent)).body.toString()) as typeof stats;
    if (stats.running === 0 && stats.queued === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(stats).toMatchObject({ running: 0, queued: 0 });
  expect(children[0].exitCode).toBeNull();
});
