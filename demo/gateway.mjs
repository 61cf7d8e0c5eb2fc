#!/usr/bin/env node
/**
 * A tiny stand-in for the OpenClaw gateway, for tests and `npm run demo`: it
 * starts, answers /healthz, and fails in the ways the real one does (exit 78 on
 * a bad config, EADDRINUSE, crashes, a frozen event loop). Plain JS, no deps.
 *
 *   node demo/gateway.mjs --port 18789 [--config openclaw.json]
 *     [--mode ok|crash-on-start|crash-after|hang-after|sleep-after|slow-start] [--after-ms N] [--start-delay-ms N]
 *     [--restart-ms N]
 *
 * hang-after: --after-ms after it listens, its event loop spins (`for (;;);`: main thread at 100% CPU, state R).
 * sleep-after: its event loop blocks in a wait instead (Atomics.wait: a synchronous call waiting on a lock or
 * on I/O), no CPU: frozen all the same, but not pinned.
 * --freeze spin|wait: SIGWINCH freezes its event loop then, as hang-after (spin) or sleep-after (wait) do, for a
 * bench that places the freeze in the medic's probe cycle.
 *
 * SIGUSR2 restarts it in process, as OpenClaw does (same pid): /startupz says `draining`, the port
 * closes for --restart-ms (default 8000, as measured on OpenClaw 2026.9.6) while it works (CPU),
 * then it listens again and /startupz says `starting` for a moment, then `started`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const Modes = ['ok', 'crash-on-start', 'crash-after', 'hang-after', 'sleep-after', 'slow-start'];
const ExitConfig = 78; // OpenClaw's exit code for a config it refuses (EX_CONFIG)
const DefaultPort = 18789;

const log = (line) => console.log(`[gateway] ${line}`);
const fail = (line, code) => {
  console.error(line);
  process.exit(code);
};

const args = parseArgs(process.argv.slice(2));
const mode = args.mode ?? 'ok';
if (!Modes.includes(mode)) fail(`unknown --mode ${mode} (one of ${Modes.join(', ')})`, 2);
const afterMs = readNumber('after-ms', args['after-ms'] ?? '1000');
const startDelayMs = readNumber('start-delay-ms', args['start-delay-ms'] ?? '0');
const restartMs = readNumber('restart-ms', args['restart-ms'] ?? '8000');
const freeze = args.freeze ?? null;
if (freeze !== null && freeze !== 'spin' && freeze !== 'wait') fail(`unknown --freeze ${freeze} (spin or wait)`, 2);
/** What /startupz says: started, starting (after an in-process restart), draining (before it). */
let phase = 'started';
let listening = false;
const config = args.config === undefined ? null : loadConfig(args.config);
const port = readNumber('port', args.port ?? process.env.GATEWAY_PORT ?? String(config?.gateway?.port ?? DefaultPort));

log(`starting (mode ${mode}, pid ${process.pid})`);
if (mode === 'crash-on-start') fail('Gateway failed to start: simulated crash on start (--mode crash-on-start)', 1);

const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
  if (path === '/healthz' || path === '/health') return send(res, 200, { ok: true, status: 'live' });
  if (path === '/readyz' || path === '/ready') return send(res, 200, { ready: true, failing: [], uptimeMs: Math.round(process.uptime() * 1000) });
  if (path === '/startupz' || path === '/startup') return send(res, phase === 'started' ? 200 : 503, { ok: phase === 'started', status: phase });
  return send(res, 404, { error: 'not found' });
});

server.on('error', (err) => {
  if (err.code === 'EADDRINUSE') fail(`listen EADDRINUSE: address already in use 127.0.0.1:${port}`, 1);
  fail(`Gateway failed to start: ${err.message}`, 1);
});

process.on('SIGTERM', () => {
  log('SIGTERM received, shutting down');
  if (!listening) process.exit(0);
  server.close(() => {
    log('stopped cleanly');
    process.exit(0);
  });
  // Open keep-alive sockets would hold close() back.
  server.closeAllConnections?.();
});

process.on('SIGUSR2', () => {
  if (!listening) return;
  log('received SIGUSR2; restarting');
  phase = 'draining';
  setTimeout(() => {
    listening = false;
    server.close();
    server.closeAllConnections?.();
    log('restart mode: in-process restart');
    // Works while its port is closed, in slices (its own SIGTERM is still heard), as a real restart does.
    const until = Date.now() + restartMs;
    const work = () => {
      const slice = Date.now() + 50;
      while (Date.now() < slice);
      if (Date.now() < until) return void setImmediate(work);
      phase = 'starting';
      server.listen(port, '127.0.0.1', () => {
        listening = true;
        log(`listening on 127.0.0.1:${port} (pid ${process.pid}, restarted in process)`);
        setTimeout(() => (phase = 'started'), 500);
      });
    };
    work();
  }, 200);
});

if (freeze !== null) process.on('SIGWINCH', () => (freeze === 'spin' ? hang() : sleepForever()));

const listenDelayMs = startDelayMs + (mode === 'slow-start' ? afterMs : 0);
setTimeout(() => {
  server.listen(port, '127.0.0.1', () => {
    listening = true;
    log(`listening on 127.0.0.1:${port} (pid ${process.pid})`);
    if (mode === 'crash-after') setTimeout(() => fail(`simulated crash after ${afterMs} ms (--mode crash-after)`, 1), afterMs);
    if (mode === 'hang-after') setTimeout(hang, afterMs);
    if (mode === 'sleep-after') setTimeout(sleepForever, afterMs);
  });
}, listenDelayMs);

function hang() {
  log('simulating a frozen event loop: it spins (--mode hang-after, --freeze spin)');
  // A busy loop, not a wait: the process stays alive, holds the port and answers nothing, SIGTERM included.
  for (;;);
}

function sleepForever() {
  log('simulating an event loop blocked in a wait (--mode sleep-after, --freeze wait)');
  // Blocked as in a synchronous wait on a lock: no CPU, the port held, nothing answered (SIGTERM included).
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

function loadConfig(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    fail('Missing config. Run `openclaw setup` or set gateway.mode=local (or pass --allow-unconfigured).', ExitConfig);
  }
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // OpenClaw reports an unparsable config with the same words as a missing mode.
  }
  if (parsed?.gateway?.mode !== 'local') fail('Gateway start blocked: existing config is missing gateway.mode.', ExitConfig);
  return parsed;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) fail(`unexpected argument ${arg}`, 2);
    const eq = arg.indexOf('=');
    if (eq !== -1) out[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < argv.length) out[arg.slice(2)] = argv[++i];
    else fail(`missing value for ${arg}`, 2);
  }
  return out;
}

function readNumber(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${value}`, 2);
  return n;
}
