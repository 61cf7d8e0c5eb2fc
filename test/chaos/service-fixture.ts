/**
 * A fixture "service manager" for the chaos suite, in the shape of a systemd user unit with Restart=no (there is
 * no systemd user bus here): `systemctl` and `journalctl` executables first on the medic's PATH answer, for one
 * unit, what the real ones answer for `systemctl --user start|stop|restart|show ...` and
 * `journalctl --user -u UNIT --since @T -o cat`. The medic is configured as a user would
 * (`GATEWAY_RESTART_COMMAND=systemctl --user restart openclaw-gateway`) and cannot tell them from the real ones.
 *
 * A start runs a small "runner" in its own session (detached from whoever ran `systemctl`, as systemd's own
 * children are): it starts the real gateway with the unit's environment (plus a marker variable, so that a test can
 * tell the service's processes), appends each line it prints to the journal with the time it arrived, and records
 * how the main process ended (systemd's ExecMainCode/ExecMainStatus and the exit's wall and monotonic times). Once
 * the main process is gone, its leftovers are killed by pid, as systemd's KillMode=mixed does. A stop sends SIGTERM
 * to the main process and says so in the event log first, so that a test can tell the manager's signals from
 * anyone else's.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const UNIT = 'openclaw-gateway';
/** The environment variable every process of the service carries (its value: the service's dir). */
export const SERVICE_MARKER = 'CLAWMEDIC_CHAOS_SERVICE';

/** The manager, as one CommonJS file run by `systemctl`, `journalctl` and the runner (argv[2] says which). */
const MANAGER = String.raw`'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { constants } = require('os');
const D = __dirname;
const f = (n) => path.join(D, n);
const unit = JSON.parse(fs.readFileSync(f('unit.json'), 'utf8'));
const MARK = unit.marker + '=' + D;
const event = (text) => fs.appendFileSync(f('events.log'), Date.now() + ' ' + text + '\n');
const readJson = (n) => { try { return JSON.parse(fs.readFileSync(f(n), 'utf8')); } catch { return null; } };
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mainPid = () => { const p = Number(fs.existsSync(f('main.pid')) ? fs.readFileSync(f('main.pid'), 'utf8') : 0); return p > 0 && alive(p) ? p : 0; };
const marked = () => fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
  if (pid === process.pid) return false;
  try { return fs.readFileSync('/proc/' + pid + '/environ', 'utf8').split('\0').includes(MARK); } catch { return false; }
});
const unitName = (n) => n === unit.name || n === unit.name + '.service';
const stamp = (ms) => {
  if (!ms) return '';
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return days[d.getUTCDay()] + ' ' + d.toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
};

function run() {
  const child = spawn(unit.argv[0], unit.argv.slice(1), { env: { ...unit.env, [unit.marker]: D }, cwd: unit.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const startAt = Date.now();
  const startMono = String(process.hrtime.bigint() / 1000n);
  fs.writeFileSync(f('exec-main.json'), JSON.stringify({ pid: child.pid, code: 0, status: 0, startAt, startMono, exitAt: 0, exitMono: '0' }));
  fs.writeFileSync(f('main.pid'), String(child.pid));
  event('start ' + child.pid);
  const append = (line) => fs.appendFileSync(f('journal.jsonl'), JSON.stringify({ t: Date.now(), line }) + '\n');
  let open = 2;
  const done = () => { if (--open === 0) setTimeout(() => process.exit(0), 100); };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (b) => { rest += b.toString('utf8'); const lines = rest.split('\n'); rest = lines.pop(); for (const l of lines) append(l); });
    stream.on('end', () => { if (rest) append(rest); done(); });
  }
  child.on('exit', (code, signal) => {
    const exitAt = Date.now();
    const exitMono = String(process.hrtime.bigint() / 1000n);
    const status = code !== null ? code : constants.signals[signal];
    fs.writeFileSync(f('exec-main.json'), JSON.stringify({ pid: child.pid, code: code !== null ? 1 : 2, status, startAt, startMono, exitAt, exitMono }));
    fs.rmSync(f('main.pid'), { force: true });
    event('exit ' + child.pid + ' ' + (code !== null ? 'code=' + code : 'signal=' + signal));
    // KillMode=mixed: what the main process left behind goes with it (by pid).
    for (const pid of marked()) { try { process.kill(pid, 'SIGKILL'); event('reaped ' + pid); } catch {} }
    setTimeout(() => process.exit(0), 3000).unref();
  });
}

async function start() {
  if (mainPid()) return 0;
  const runner = spawn(process.execPath, [__filename, 'run'], { detached: true, stdio: 'ignore', env: unit.env, cwd: unit.cwd });
  runner.unref();
  for (let i = 0; i < 200 && !mainPid(); i++) await sleep(50);
  return mainPid() ? 0 : 1;
}

async function stop() {
  const pid = mainPid();
  if (!pid) return 0;
  event('stop ' + pid);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 600 && mainPid() === pid; i++) await sleep(50);
  if (mainPid() === pid) { event('stop-kill ' + pid); process.kill(pid, 'SIGKILL'); }
  for (let i = 0; i < 100 && mainPid() === pid; i++) await sleep(50);
  return 0;
}

function show(args) {
  const props = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-p' || args[i] === '--property') props.push(...args[++i].split(','));
    else if (args[i].startsWith('--property=')) props.push(...args[i].slice(11).split(','));
  }
  const e = readJson('exec-main.json');
  const running = mainPid() !== 0;
  const ended = e && e.exitAt && !running;
  const values = {
    MainPID: running ? mainPid() : 0,
    ExecMainStartTimestamp: e ? stamp(e.startAt) : '',
    ExecMainStartTimestampMonotonic: e ? e.startMono : '0',
    ExecMainExitTimestamp: ended ? stamp(e.exitAt) : '',
    ExecMainExitTimestampMonotonic: ended ? e.exitMono : '0',
    ExecMainPID: e ? e.pid : 0,
    ExecMainCode: ended ? e.code : 0,
    ExecMainStatus: ended ? e.status : 0,
    ActiveState: running ? 'active' : ended && !(e.code === 1 && e.status === 0) ? 'failed' : 'inactive',
  };
  // systemd prints them in its own order, not the order asked.
  for (const [k, v] of Object.entries(values)) if (props.length === 0 || props.includes(k)) process.stdout.write(k + '=' + v + '\n');
  return 0;
}

async function lock() {
  for (;;) {
    try { fs.writeFileSync(f('job.lock'), String(process.pid), { flag: 'wx' }); return; } catch {}
    const holder = Number(fs.readFileSync(f('job.lock'), 'utf8') || 0);
    if (holder && !alive(holder)) fs.rmSync(f('job.lock'), { force: true });
    await sleep(50);
  }
}

async function systemctl(args) {
  if (!args.includes('--user')) { process.stderr.write('System has not been booted with systemd as init system (PID 1). Can\'t operate.\n'); return 1; }
  const rest = args.filter((a) => a !== '--user' && a !== '--no-pager' && a !== '--quiet');
  const verb = rest[0];
  const name = rest[rest.length - 1];
  if (verb === 'show') return show(rest.slice(1));
  if (!unitName(name)) { process.stderr.write('Failed to ' + verb + ' ' + name + ': Unit ' + name + ' not found.\n'); return 5; }
  event('systemctl ' + verb);
  if (verb === 'start' || verb === 'stop' || verb === 'restart') {
    // One job at a time, as systemd queues them: a second restart waits for the first.
    await lock();
    try {
      if (verb === 'start') return await start();
      if (verb === 'stop') return await stop();
      await stop();
      return await start();
    } finally {
      fs.rmSync(f('job.lock'), { force: true });
    }
  }
  if (verb === 'is-active') { const a = mainPid() ? 'active' : 'inactive'; process.stdout.write(a + '\n'); return a === 'active' ? 0 : 3; }
  process.stderr.write('Unknown command verb ' + verb + '.\n');
  return 1;
}

function journalctl(args) {
  let since = 0;
  let u = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--since') since = args[++i];
    else if (args[i].startsWith('--since=')) since = args[i].slice(8);
    else if (args[i] === '-u') u = args[++i];
  }
  const t0 = typeof since === 'string' && since.startsWith('@') ? Number(since.slice(1)) * 1000 : 0;
  const entries = unitName(u || '') && fs.existsSync(f('journal.jsonl'))
    ? fs.readFileSync(f('journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.t >= t0)
    : [];
  process.stdout.write(entries.length ? entries.map((e) => e.line + '\n').join('') : '-- No entries --\n');
  return 0;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'run') run();
else Promise.resolve(mode === 'systemctl' ? systemctl(args) : journalctl(args)).then((code) => process.exit(code), (err) => { process.stderr.write(String(err && err.stack || err) + '\n'); process.exit(1); });
`;

export interface ChaosService {
  dir: string;
  /** Holds `systemctl` and `journalctl`: first on the medic's PATH. */
  bin: string;
  /**
   * What a person types: `systemctl --user <verb> openclaw-gateway`; rejects when it fails. Asynchronous: the
   * medic under test runs in the test's process and must keep probing meanwhile.
   */
  systemctl(verb: 'start' | 'stop' | 'restart'): Promise<void>;
  /** The manager's event log: `<ms> start|stop|exit|reaped|systemctl ...` lines. */
  events(): { at: number; what: string; pid: number | null; detail: string }[];
  /** The main pid now, or null. */
  mainPid(): number | null;
}

/** Writes the manager for a unit that runs `argv` with `env` (the unit's Environment=), in `dir`. */
export function writeService(dir: string, argv: string[], env: NodeJS.ProcessEnv): ChaosService {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(dir, 'unit.json'), JSON.stringify({ name: UNIT, argv, env, cwd: dir, marker: SERVICE_MARKER }));
  writeFileSync(join(dir, 'manager.cjs'), MANAGER);
  for (const tool of ['systemctl', 'journalctl']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\nexec '${process.execPath}' '${join(dir, 'manager.cjs')}' ${tool} "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return {
    dir,
    bin,
    systemctl(verb) {
      return new Promise((resolve, reject) => {
        execFile(join(bin, 'systemctl'), ['--user', verb, UNIT], { encoding: 'utf8', timeout: 60_000 }, (err, _out, stderr) => {
          if (err) reject(new Error(`systemctl --user ${verb} ${UNIT}: ${err.message} ${stderr}`));
          else resolve();
        });
      });
    },
    events() {
      const path = join(dir, 'events.log');
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [at, what, ...rest] = l.split(' ');
          const pid = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) : null;
          return { at: Number(at), what: what!, pid, detail: rest.join(' ') };
        });
    },
    mainPid() {
      const path = join(dir, 'main.pid');
      return existsSync(path) ? Number(readFileSync(path, 'utf8')) || null : null;
    },
  };
}

/** Whether `pid` is one of the service's processes (it carries the marker). */
export function isServiceProcess(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${SERVICE_MARKER}=${dir}`);
  } catch {
    return false;
  }
}

/** Exits of the service's main process that the manager did not ask for and that are not the gateway's own (a code). */
export function unexplainedExits(events: ReturnType<ChaosService['events']>): string[] {
  // The manager's own: a stop, or the leftovers it reaps once a main process is gone (KillMode=mixed).
  const stopped = new Set(events.filter((e) => e.what === 'stop' || e.what === 'reaped').map((e) => e.pid));
  return events.filter((e) => e.what === 'exit' && !stopped.has(e.pid) && !/^code=[1-9]\d*$/.test(e.detail)).map((e) => `pid ${e.pid}: ${e.detail}`);
}

/**
 * Watches every signal this process sends (`process.kill`) to a process of the services in `dirs` or to an
 * `innocent` pid: the medic under test runs in this process, so whatever it signals goes through here.
 */
export class SignalWatch {
  readonly signalled: { pid: number; signal: string | number | undefined }[] = [];
  readonly dirs: string[] = [];
  readonly innocent: number[] = [];
  private real: typeof process.kill | null = null;

  start(): void {
    const real = process.kill.bind(process);
    this.real = process.kill;
    process.kill = ((pid: number, signal?: string | number) => {
      const target = Math.abs(pid);
      if (signal !== 0 && (this.innocent.includes(target) || this.dirs.some((d) => isServiceProcess(target, d)))) this.signalled.push({ pid, signal });
      return real(pid, signal);
    }) as typeof process.kill;
  }

  stop(): void {
    if (this.real) process.kill = this.real;
    this.real = null;
  }

  reset(): void {
    this.signalled.length = 0;
    this.dirs.length = 0;
    this.innocent.length = 0;
  }
}
