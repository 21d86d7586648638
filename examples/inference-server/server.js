#!/usr/bin/env node
'use strict';
/**
 * A minimal inference server for one non-local block (node:http, no framework).
 *
 *   node examples/inference-server/server.js --weights w.safetensors [--prefix P] [--mode M]
 *        [--scale | --no-scale] [--sub-sample | --no-sub-sample] [--port 0] [--host 127.0.0.1]
 *        [--max-bytes N] [--threads T] [--max-calls K] [--kernel-nice N]
 *
 * The block's settings are the checkpoint's (its model family's config where the key path tells
 * it, e.g. Libra's neck.refine.: use_scale=False) unless the flags set them; the ready line says
 * which were used.
 *
 * POST /block   body: raw little-endian float32 (Content-Type application/octet-stream, header
 *               X-Shape: 1,256,50,68) or a .npy file (Content-Type application/x-npy).
 *               200 → the block's output as .npy bytes, with X-Elapsed-Ms.
 * GET  /healthz 200 → {"ok":true,"running":n,"queued":n,"limit":n} (answered on the event loop;
 *               the block itself runs on libuv's pool).
 * Errors are JSON: { "error": { "code", "message" } } — 413 E_TOO_LARGE, 400 for a malformed body
 * or header, 415 for another Content-Type, 404 unknown route, 405 wrong method, 500 otherwise.
 *
 * Keeping /healthz fast while blocks run (measured in README.md): by default a block uses
 * cores − 1 threads, one call runs at a time, the kernel's threads run at a lower priority
 * (Linux, --kernel-nice), idle OpenMP threads sleep (OMP_WAIT_POLICY=passive unless set), and the
 * request path copies as little as it can.
 *
 * Prints one JSON line {"listening":{"host","port"},...} on stdout when ready.
 * NONLOCAL_AFFINITY_PACKAGE overrides the path of the package to require.
 */
// Read by libgomp when the addon loads (the package loads it lazily, on the first call), so this
// must come before the first block: idle OpenMP threads sleep at once instead of spinning on the
// cores the event loop needs. An explicit OMP_WAIT_POLICY in the environment wins.
if (process.env.OMP_WAIT_POLICY === undefined) process.env.OMP_WAIT_POLICY = 'passive';

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

// The process's threads before libuv's pool exists (Linux): every thread started later is a pool
// worker or an OpenMP thread started by one (see lowerKernelPriority).
const STARTUP_TASKS = listTasks();

const pkgPath = process.env.NONLOCAL_AFFINITY_PACKAGE || path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js');
const nl = require(pkgPath);

const USAGE =
  'usage: node server.js --weights w.safetensors [--prefix P] [--mode M] [--scale|--no-scale] [--sub-sample|--no-sub-sample]\n' +
  '                      [--port 0] [--host 127.0.0.1] [--max-bytes N] [--threads T] [--max-calls K] [--kernel-nice N]';

/** The block flags without a value: each sets one loader option. */
const SWITCHES = {
  '--scale': ['useScale', true], '--no-scale': ['useScale', false],
  '--sub-sample': ['subSample', true], '--no-sub-sample': ['subSample', false],
};

function parseArgs(argv) {
  const opts = {
    weights: null, prefix: undefined, block: {}, port: 0, host: '127.0.0.1', maxBytes: 64 * 1024 * 1024,
    threads: undefined, maxCalls: undefined, kernelNice: 10,
  };
  const intArg = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
      throw new Error(`${name} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (Object.prototype.hasOwnProperty.call(SWITCHES, a)) {
      const [key, value] = SWITCHES[a];
      opts.block[key] = value;
      continue;
    }
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); } else if (a !== '--help' && a !== '-h') { v = argv[++i]; }
    switch (a) {
      case '--weights': opts.weights = v; break;
      case '--prefix': opts.prefix = v; break;
      case '--mode': opts.block.mode = v; break; // the loader checks it (a TypeError naming the choices)
      case '--port': opts.port = intArg('--port', v, 0); if (opts.port > 65535) throw new Error('--port must be <= 65535'); break;
      case '--host': opts.host = v; break;
      case '--max-bytes': opts.maxBytes = intArg('--max-bytes', v, 1); break;
      case '--threads': opts.threads = intArg('--threads', v, 1); break;
      case '--max-calls': opts.maxCalls = intArg('--max-calls', v, 1); break;
      case '--kernel-nice': opts.kernelNice = intArg('--kernel-nice', v, 0); if (opts.kernelNice > 19) throw new Error('--kernel-nice must be <= 19'); break;
      case '--help': case '-h': process.stdout.write(USAGE + '\n'); process.exit(0); break;
      default: throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
    if (v === undefined) throw new Error(`${a} needs a value`);
  }
  if (!opts.weights) throw new Error('--weights is required');
  return opts;
}

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

function sendError(res, status, code, message, headers) {
  sendJson(res, status, { error: { code, message } }, headers);
}

/** X-Shape "1,256,50,68" → [1, 256, 50, 68]; throws HttpError 400 E_BAD_SHAPE. */
function parseShapeHeader(value) {
  if (value === undefined) throw new HttpError(400, 'E_BAD_SHAPE', 'a raw float32 body needs an X-Shape header, e.g. "X-Shape: 1,256,50,68"');
  const parts = String(value).split(',').map((s) => s.trim());
  if (parts.length < 1 || parts.length > 8 || !parts.every((p) => /^[1-9]\d{0,9}$/.test(p))) {
    throw new HttpError(400, 'E_BAD_SHAPE', `X-Shape must be 1 to 8 comma-separated positive integers, got ${JSON.stringify(String(value))}`);
  }
  return parts.map(Number);
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Body bytes → Tensor, by Content-Type. */
function decodeBody(req, body) {
  const type = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-npy') {
    const view = npyView(body);
    if (view !== null) return view;
    try {
      return nl.parseNpy(body, 'request body');
    } catch (e) {
      throw new HttpError(400, (e && e.code) || 'E_BAD_NPY', e instanceof Error ? e.message : String(e));
    }
  }
  if (type === 'application/octet-stream' || type === '') {
    const shape = parseShapeHeader(req.headers['x-shape']);
    let count = 1;
    for (const d of shape) count *= d;
    if (count * 4 !== body.length) {
      throw new HttpError(400, 'E_LENGTH_MISMATCH',
        `X-Shape [${shape.join(', ')}] needs ${count * 4} bytes of float32, the body has ${body.length}`);
    }
    // The body buffer is this request's own: on a little-endian host it is used as it is, without
    // a copy (nonLocalBlockAsync takes its own copy at the call anyway).
    if (LITTLE_ENDIAN && body.byteOffset % 4 === 0) return { data: new Float32Array(body.buffer, body.byteOffset, count), shape };
    const data = new Float32Array(count);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(body);
    } else {
      const dv = new DataView(body.buffer, body.byteOffset, body.length);
      for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    }
    return { data, shape };
  }
  throw new HttpError(415, 'E_UNSUPPORTED_MEDIA_TYPE',
    `Content-Type must be application/octet-stream (with X-Shape) or application/x-npy, got ${JSON.stringify(type)}`);
}

// np.save's header for a C-ordered little-endian float32 array (version 1.0), e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 64, 32, 32), } then spaces and '\n'.
const NPY_F4_HEADER = /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(([1-9]\d{0,9}(?:, [1-9]\d{0,9}){0,7}),?\), \} *\n$/;

/**
 * The common case of a .npy body — version 1.0, exactly that header, data aligned for float32 —
 * as a Float32Array over the body itself (no copy); null for anything else, which parseNpy then
 * decodes (or rejects with its NPY_* code).
 */
function npyView(body) {
  if (!LITTLE_ENDIAN || body.length < 10 || body.byteOffset % 4 !== 0) return null;
  if (body[0] !== 0x93 || body.toString('latin1', 1, 6) !== 'NUMPY' || body[6] !== 1 || body[7] !== 0) return null;
  const start = 10 + body.readUInt16LE(8);
  if (start > body.length || start % 4 !== 0) return null;
  const m = NPY_F4_HEADER.exec(body.toString('latin1', 10, start));
  if (m === null) return null;
  const shape = m[1].split(', ').map(Number);
  let count = 1;
  for (const d of shape) count *= d;
  if (body.length - start !== count * 4) return null;
  return { data: new Float32Array(body.buffer, body.byteOffset + start, count), shape };
}

// Request bodies of a known length are read into buffers kept for reuse: fresh memory costs page
// faults on the event loop (about 1 ms per 256 KiB on the VM measured in README.md), reused
// memory does not. A buffer goes back as soon as nonLocalBlockAsync has been called (the block
// works on its own copy from then on) or the request ended without one.
const POOL_MAX_BYTES = 64 * 1024 * 1024;
const bodyPool = new Map(); // byteLength → Buffer[]
let pooledBytes = 0;

function takeBuffer(n) {
  const free = bodyPool.get(n);
  if (free !== undefined && free.length > 0) {
    pooledBytes -= n;
    return free.pop();
  }
  return Buffer.allocUnsafeSlow(n);
}

function giveBuffer(buf) {
  if (buf === null || pooledBytes + buf.length > POOL_MAX_BYTES) return;
  let free = bodyPool.get(buf.length);
  if (free === undefined) bodyPool.set(buf.length, (free = []));
  free.push(buf);
  pooledBytes += buf.length;
}

// The heavier steps of a request (decoding a body and handing it to the block, which copies it;
// writing an answer) run one per event-loop turn: bodies that arrive together are then handled
// across several turns, with /healthz and new connections served in between, instead of all in one.
const turns = [];
let turnScheduled = false;

function nextTurn() {
  return new Promise((resolve) => {
    turns.push(resolve);
    if (!turnScheduled) {
      turnScheduled = true;
      setImmediate(runTurn);
    }
  });
}

function runTurn() {
  const resolve = turns.shift();
  if (turns.length > 0) setImmediate(runTurn); else turnScheduled = false;
  resolve();
}

/**
 * Reads the body up to maxBytes. Over the limit (by Content-Length up front, or while streaming)
 * it rejects with 413 at once and stops buffering; the response then closes the connection.
 */
function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      reject(new HttpError(413, 'E_TOO_LARGE', `the body (${declared} bytes) is over the limit of ${maxBytes} bytes`));
      return;
    }
    // With a Content-Length the chunks go straight into one buffer of that size (no list, no
    // concatenation at the end); a chunked body is collected and concatenated.
    const expected = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : -1;
    let whole = expected > 0 ? takeBuffer(expected) : null;
    const fail = (e) => {
      done = true;
      chunks.length = 0;
      giveBuffer(whole);
      whole = null;
      reject(e);
    };
    const chunks = [];
    let total = 0;
    let done = false;
    const onData = (chunk) => {
      if (done) return;
      if (total + chunk.length > maxBytes) {
        req.off('data', onData);
        req.resume(); // discard whatever is already in flight; the 413 closes the connection
        fail(new HttpError(413, 'E_TOO_LARGE', `the body is over the limit of ${maxBytes} bytes`));
        return;
      }
      if (whole !== null) chunk.copy(whole, total); // Node's parser never passes more than Content-Length
      else chunks.push(chunk);
      total += chunk.length;
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      // `pooled` goes back with giveBuffer once `body` is no longer needed.
      resolve(whole !== null ? { pooled: whole, body: whole.subarray(0, total) } : { pooled: null, body: Buffer.concat(chunks, total) });
    });
    req.once('error', (e) => { if (!done) fail(e); });
    req.once('close', () => { if (!done) fail(new HttpError(499, 'E_CLIENT_CLOSED', 'the client closed the connection')); });
  });
}

/** Thread ids of this process (Linux), else null. */
function listTasks() {
  if (process.platform !== 'linux') return null;
  try {
    return fs.readdirSync('/proc/self/task');
  } catch {
    return null;
  }
}

/**
 * Linux: gives every thread started since STARTUP_TASKS — libuv's pool workers, which run the
 * blocks, and the OpenMP threads they start (a new thread inherits its creator's nice value) — the
 * nice value `nice`, so that the event loop wins the cores back as soon as it has work. Returns how
 * many threads were changed (0 elsewhere, or if `nice` is 0). Lowering one's own threads' priority
 * needs no privilege.
 */
function lowerKernelPriority(nice) {
  const now = listTasks();
  if (nice === 0 || now === null || STARTUP_TASKS === null) return 0;
  const before = new Set(STARTUP_TASKS);
  let changed = 0;
  for (const tid of now) {
    if (before.has(tid)) continue;
    try {
      os.setPriority(Number(tid), nice);
      changed++;
    } catch {
      // the thread exited meanwhile
    }
  }
  return changed;
}

/** POSTs x to the server's own /block, raw and as .npy, a few times each; GETs /healthz. */
async function warmUp(addr, x) {
  const host = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  const raw = Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength);
  const npy = Buffer.from(nl.encodeNpy(x));
  const call = (method, urlPath, headers, body) => new Promise((resolve, reject) => {
    const req = http.request({ host, port: addr.port, method, path: urlPath, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${urlPath}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  try {
    for (let i = 0; i < 3; i++) {
      await call('POST', '/block', { 'Content-Type': 'application/octet-stream', 'X-Shape': x.shape.join(',') }, raw);
      await call('POST', '/block', { 'Content-Type': 'application/x-npy' }, npy);
      await call('GET', '/healthz', {});
    }
  } catch (e) {
    process.stderr.write(`warm-up skipped: ${e && e.message}\n`); // serving works without it
  }
}

/** An input of the block's channel count, for the warm-up calls. */
function warmupInput(weights) {
  const spatial = weights.dims === 1 ? [64] : weights.dims === 3 ? [2, 8, 8] : [8, 8];
  const shape = [1, weights.inChannels, ...spatial];
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 997) / 997 - 0.5;
  return { data, shape };
}

async function start(opts) {
  const threads = opts.threads ?? Math.max(1, os.availableParallelism() - 1);
  nl.setDefaultThreads(threads);
  nl.setMaxConcurrentCalls(opts.maxCalls ?? Math.max(1, Math.floor(Math.max(1, os.availableParallelism() - 1) / threads)));

  let weights;
  let reniced;
  try {
    // A pool request starts libuv's pool (all its workers at once); then they get the lower priority.
    await fs.promises.stat(opts.weights);
    reniced = lowerKernelPriority(opts.kernelNice);
    weights = await nl.loadNonLocalWeights(opts.weights, { ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }), ...opts.block });
  } catch (e) {
    throw new Error(`cannot load weights: ${e && e.message}`);
  }
  const server = http.createServer((req, res) => handle(req, res, weights, opts));
  server.keepAliveTimeout = 5000;
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise((resolve) => server.listen(opts.port, opts.host, resolve));
  const addr = server.address();
  // Before announcing itself, the server sends itself a few small requests: that loads the addon,
  // starts the kernel's threads and compiles the whole request path, so that the first real burst
  // does not pay for it while /healthz waits (README.md: measured).
  await warmUp(addr, warmupInput(weights));
  lowerKernelPriority(opts.kernelNice); // any thread started meanwhile (normally inheriting it already)
  const limit = nl.schedulerStats().limit;
  process.stdout.write(JSON.stringify({
    listening: { host: addr.address, port: addr.port },
    threads, maxCalls: limit, kernelNice: reniced > 0 ? opts.kernelNice : 0,
    block: blockSettings(weights),
  }) + '\n');
  const stop = () => { server.close(); server.closeAllConnections(); setTimeout(() => process.exit(0), 200).unref(); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** What the ready line says about the block: the family recognised and the settings in force, with their sources. */
function blockSettings(weights) {
  const c = weights.conventions;
  const from = c ? Object.fromEntries(Object.entries(c.from).map(([k, o]) => [k, o.kind])) : null;
  return { convention: weights.convention, family: c ? c.family : null, ...weights.defaults, from };
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  start(opts).catch((e) => {
    process.stderr.write(`${e && e.message}\n`);
    process.exit(1);
  });
}

function handle(req, res, weights, opts) {
  const url = (req.url || '/').split('?')[0];
  if (url === '/healthz') {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'E_METHOD_NOT_ALLOWED', `${req.method} /healthz: use GET`, { Allow: 'GET, HEAD' });
    const { running, queued, limit } = nl.schedulerStats();
    return sendJson(res, 200, { ok: true, running, queued, limit });
  }
  if (url === '/block') {
    if (req.method !== 'POST') return sendError(res, 405, 'E_METHOD_NOT_ALLOWED', `${req.method} /block: use POST`, { Allow: 'POST' });
    return handleBlock(req, res, weights, opts).catch((e) => {
      process.stderr.write(`unexpected: ${e && e.stack}\n`);
      sendError(res, 500, 'E_INTERNAL', 'internal error');
    });
  }
  return sendError(res, 404, 'E_NOT_FOUND', `no route ${req.method} ${url}; try POST /block or GET /healthz`);
}

async function handleBlock(req, res, weights, opts) {
  const started = process.hrtime.bigint();
  // A client that goes away before the answer aborts the block: req 'close' before the body is
  // complete, or res 'close' before the response was sent (req 'close' also fires after a fully
  // read body, so only the response tells a disconnect during the computation).
  const controller = new AbortController();
  req.once('close', () => { if (!req.complete) controller.abort(new Error('client disconnected')); });
  res.once('close', () => { if (!res.writableFinished) controller.abort(new Error('client disconnected')); });

  let body;
  let pooled;
  try {
    ({ body, pooled } = await readBody(req, opts.maxBytes));
  } catch (e) {
    if (e instanceof HttpError && e.status === 413) {
      // Stop reading: answer now and close the connection (Node discards what still arrives).
      return sendError(res, 413, e.code, e.message, { Connection: 'close' });
    }
    if (e instanceof HttpError && e.status === 499) return undefined;
    return sendError(res, 400, 'E_BAD_REQUEST', e instanceof Error ? e.message : String(e), { Connection: 'close' });
  }

  await nextTurn();
  let x;
  let pending;
  try {
    x = decodeBody(req, body);
    // The call copies x before it returns its promise, so the body buffer can go back at once.
    pending = nl.nonLocalBlockAsync(x, weights, { signal: controller.signal });
  } catch (e) {
    if (e instanceof HttpError) return sendError(res, e.status, e.code, e.message);
    throw e;
  } finally {
    giveBuffer(pooled);
  }

  let z;
  try {
    z = await pending;
  } catch (e) {
    if (e && e.name === 'AbortError') return undefined; // nobody left to answer
    if (e instanceof RangeError || e instanceof TypeError) {
      return sendError(res, 400, e.code || 'E_BAD_INPUT', e.message);
    }
    throw e;
  }
  await nextTurn();
  if (res.destroyed) return undefined;
  const [header, data] = nonLocalResponse(z);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  res.writeHead(200, {
    'Content-Type': 'application/x-npy',
    'Content-Length': header.length + data.length,
    'X-Elapsed-Ms': elapsedMs.toFixed(3),
  });
  res.cork();
  res.write(header);
  res.end(data);
  res.uncork();
  return undefined;
}

/**
 * z as .npy without copying its data: [header, data bytes], together exactly encodeNpy(z) (the
 * test compares them byte for byte). On a little-endian host the data is z's own memory.
 */
function nonLocalResponse(z) {
  if (!LITTLE_ENDIAN) {
    const npy = nl.encodeNpy(z);
    return [Buffer.alloc(0), Buffer.from(npy.buffer, npy.byteOffset, npy.byteLength)];
  }
  return [npyHeader(z.shape), Buffer.from(z.data.buffer, z.data.byteOffset, z.data.byteLength)];
}

/**
 * The header np.save (and encodeNpy) writes for a C-ordered '<f4' array of this shape: version 1.0,
 * the dict with room for the first axis to grow to 21 digits, spaces up to a multiple of 64 bytes
 * (a whole 64 more when already aligned), then '\n'.
 */
function npyHeader(shape) {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  if (shape.length > 0) text += ' '.repeat(21 - String(shape[0]).length);
  const padded = text.length + 1 + 64 - ((10 + text.length + 1) % 64);
  const header = Buffer.alloc(10 + padded, 0x20);
  header[0] = 0x93;
  header.write('NUMPY', 1, 'latin1');
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(padded, 8);
  header.write(text, 10, 'latin1');
  header[10 + padded - 1] = 0x0a;
  return header;
}

main();
