#!/usr/bin/env node
'use strict';
/**
 * A minimal inference server for one non-local block (node:http, no framework).
 *
 *   node examples/inference-server/server.js --weights w.safetensors [--prefix P] [--port 0]
 *        [--host 127.0.0.1] [--max-bytes N] [--threads T]
 *
 * POST /block   body: raw little-endian float32 (Content-Type application/octet-stream, header
 *               X-Shape: 1,256,50,68) or a .npy file (Content-Type application/x-npy).
 *               200 → the block's output as .npy bytes, with X-Elapsed-Ms.
 * GET  /healthz 200 → {"ok":true,"running":n,"queued":n,"limit":n} (answered on the event loop;
 *               the block itself runs on libuv's pool).
 * Errors are JSON: { "error": { "code", "message" } } — 413 E_TOO_LARGE, 400 for a malformed body
 * or header, 415 for another Content-Type, 404 unknown route, 405 wrong method, 500 otherwise.
 *
 * Prints one JSON line {"listening":{"host","port"}} on stdout when ready.
 * NONLOCAL_AFFINITY_PACKAGE overrides the path of the package to require.
 */
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const pkgPath = process.env.NONLOCAL_AFFINITY_PACKAGE || path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js');
const nl = require(pkgPath);

const USAGE =
  'usage: node server.js --weights w.safetensors [--prefix P] [--port 0] [--host 127.0.0.1] [--max-bytes N] [--threads T]';

function parseArgs(argv) {
  const opts = { weights: null, prefix: undefined, port: 0, host: '127.0.0.1', maxBytes: 64 * 1024 * 1024, threads: undefined };
  const intArg = (name, v, min) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
      throw new Error(`${name} expects an integer >= ${min}, got ${JSON.stringify(v)}`);
    }
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); } else if (a !== '--help' && a !== '-h') { v = argv[++i]; }
    switch (a) {
      case '--weights': opts.weights = v; break;
      case '--prefix': opts.prefix = v; break;
      case '--port': opts.port = intArg('--port', v, 0); if (opts.port > 65535) throw new Error('--port must be <= 65535'); break;
      case '--host': opts.host = v; break;
      case '--max-bytes': opts.maxBytes = intArg('--max-bytes', v, 1); break;
      case '--threads': opts.threads = intArg('--threads', v, 1); break;
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
    const chunks = [];
    let total = 0;
    let done = false;
    const onData = (chunk) => {
      if (done) return;
      total += chunk.length;
      if (total > maxBytes) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // discard whatever is already in flight; the 413 closes the connection
        reject(new HttpError(413, 'E_TOO_LARGE', `the body is over the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks, total)); } });
    req.once('error', (e) => { if (!done) { done = true; reject(e); } });
    req.once('close', () => { if (!done) { done = true; reject(new HttpError(499, 'E_CLIENT_CLOSED', 'the client closed the connection')); } });
  });
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts.threads !== undefined) nl.setDefaultThreads(opts.threads);

  nl.loadNonLocalWeights(opts.weights, opts.prefix === undefined ? {} : { prefix: opts.prefix }).then((weights) => {
    const server = http.createServer((req, res) => handle(req, res, weights, opts));
    server.keepAliveTimeout = 5000;
    server.on('clientError', (err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      process.stdout.write(JSON.stringify({ listening: { host: addr.address, port: addr.port } }) + '\n');
    });
    const stop = () => { server.close(); server.closeAllConnections(); setTimeout(() => process.exit(0), 200).unref(); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }, (e) => {
    process.stderr.write(`cannot load weights: ${e && e.message}\n`);
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
  try {
    body = await readBody(req, opts.maxBytes);
  } catch (e) {
    if (e instanceof HttpError && e.status === 413) {
      // Stop reading: answer now and close the connection (Node discards what still arrives).
      return sendError(res, 413, e.code, e.message, { Connection: 'close' });
    }
    if (e instanceof HttpError && e.status === 499) return undefined;
    return sendError(res, 400, 'E_BAD_REQUEST', e instanceof Error ? e.message : String(e), { Connection: 'close' });
  }

  let x;
  try {
    x = decodeBody(req, body);
  } catch (e) {
    if (e instanceof HttpError) return sendError(res, e.status, e.code, e.message);
    throw e;
  }

  let z;
  try {
    z = await nl.nonLocalBlockAsync(x, weights, { signal: controller.signal });
  } catch (e) {
    if (e && e.name === 'AbortError') return undefined; // nobody left to answer
    if (e instanceof RangeError || e instanceof TypeError) {
      return sendError(res, 400, e.code || 'E_BAD_INPUT', e.message);
    }
    throw e;
  }
  if (res.destroyed) return undefined;
  const npy = nl.encodeNpy(z);
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  res.writeHead(200, {
    'Content-Type': 'application/x-npy',
    'Content-Length': npy.byteLength,
    'X-Elapsed-Ms': elapsedMs.toFixed(3),
  });
  res.end(Buffer.from(npy.buffer, npy.byteOffset, npy.byteLength));
  return undefined;
}

main();
