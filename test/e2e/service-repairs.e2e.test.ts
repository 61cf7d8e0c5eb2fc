/**
 * The certain repairs of a gateway run as a service (GATEWAY_RESTART_COMMAND, no GATEWAY_COMMAND), end to end: the
 * real medic (composition root, real adapters) and a fixture "service" whose restart command is a script this test
 * writes and controls. The script stops the previous gateway (by the pid it recorded), then either starts the demo
 * gateway in its own session (as a service manager would: it outlives the restart command) or, when the test put a
 * fault in place, writes what OpenClaw prints for it to the service's log file (GATEWAY_LOG_FILE) and leaves no
 * gateway. `openclaw` (plugins disable) and the doctor are small scripts on PATH that record what they are asked.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProcessStartTime } from '../../src/recovery/pid-record.js';
import { lockDirOf } from '../../src/recovery/repair/state-lock.js';
import { runCommand } from '../../src/lib/run-command.js';
import { freePort, isAlive, plainGatewayCommand, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';

const world = new E2eWorld();
afterEach(async () => {
  await world.cleanup();
});

const PLUGIN = 'crash-plugin';
const STACK = `    at Timeout._onTimeout (/state/tmp/plugin-captures/0b1c/captures/openclaw-plugin-build-1/package-0/node_modules/${PLUGIN}/index.js:5:30)`;

function executable(path: string, lines: string[]): void {
  writeFileSync(path, ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(path, 0o755);
}

interface Service {
  env: NodeJS.ProcessEnv;
  dir: string;
  /** The restart command (the fixture service's script). */
  restart: string;
  log: string;
  calls: string;
  restarts: () => number;
  lockDir: string;
}

/** The fixture service, the fake `openclaw` and doctor, and the medic's environment (a service: no GATEWAY_COMMAND). */
async function service(): Promise<Service & { setup: Awaited<ReturnType<E2eWorld['envFor']>> }> {
  const setup = await world.envFor({ mode: 'ok' });
  const dir = join(setup.dataDir, 'svc');
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const stateDir = join(dir, 'state');
  const lockDir = lockDirOf(stateDir);
  const log = join(dir, 'gateway.log');
  const calls = join(dir, 'calls');
  writeFileSync(log, '');
  const gateway = plainGatewayCommand({ port: setup.gatewayPort, config: setup.configPath });
  const restart = join(dir, 'restart-service.sh');
  executable(restart, [
    `D='${dir}'`,
    'if [ -f "$D/gateway.pid" ]; then',
    '  pid=$(cat "$D/gateway.pid"); kill "$pid" 2>/dev/null; rm -f "$D/gateway.pid"',
    '  n=0; while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done',
    'fi',
    'echo restart >> "$D/restarts"',
    // The faults, as OpenClaw prints them (see /work/shared/reference/openclaw-failures.md); the gateway exits at once.
    'if [ -e "$D/plugin-installed" ] && [ ! -e "$D/plugin-disabled" ]; then',
    `  { echo "Error: boom from ${PLUGIN}"; echo '${STACK}'; } >> "$D/gateway.log"; exit 0`,
    'fi',
    'if [ -e "$D/config-stamped-2099" ]; then',
    '  echo "Your OpenClaw config was written by version 2099.1.0, but this command is running 2026.9.6." >> "$D/gateway.log"; exit 0',
    'fi',
    `if ls '${lockDir}'/gateway.*.lock >/dev/null 2>&1; then`,
    '  echo "Another gateway (pid $(cat "$D/lock-pid")) already owns this state directory; refusing to run automatic startup migrations" >> "$D/gateway.log"; exit 0',
    'fi',
    // A service manager's gateway outlives the command that (re)started it: its own session.
    `setsid ${gateway} >/dev/null 2>&1 </dev/null &`,
    'pid=$!; echo $pid > "$D/gateway.pid"',
    // Returns once the gateway leads its own session: the group of this command is killed when it ends.
    'n=0; while [ "$(ps -o sid= -p $pid | tr -d " ")" != "$pid" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done',
  ]);
  executable(join(bin, 'openclaw'), [
    `echo "openclaw $*" >> '${calls}'`,
    `case "$1 $2" in "plugins disable") : > '${dir}/plugin-disabled'; echo "Disabled plugin \\"$3\\". Saved for the next Gateway start." ;; esac`,
    'exit 0',
  ]);
  const doctor = join(bin, 'fake-doctor');
  executable(doctor, [`echo "doctor $*" >> '${calls}'`, `rm -f '${dir}/config-stamped-2099'`, 'echo "Config stamp updated."']);
  const env: NodeJS.ProcessEnv = {
    ...setup.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    GATEWAY_RESTART_COMMAND: restart,
    GATEWAY_LOG_FILE: log,
    DOCTOR_COMMAND: `${doctor} --fix --non-interactive`,
    OPENCLAW_STATE_DIR: stateDir,
    // A node start-up takes seconds on a loaded machine: a verifying restart must get them.
    STARTUP_GRACE_MS: '8000',
  };
  delete env.GATEWAY_COMMAND;
  const restarts = () => (existsSync(join(dir, 'restarts')) ? readFileSync(join(dir, 'restarts'), 'utf8').trim().split('\n').length : 0);
  return { setup: { ...setup, env }, env, dir, restart, log, calls, restarts, lockDir };
}

/** Runs the service's restart command as a person (or the service manager) would, and tracks its gateway for cleanup. */
async function restartByHand(s: Service): Promise<void> {
  const r = await runCommand(s.restart, { timeoutMs: 30_000, env: s.env });
  expect(r.code).toBe(0);
  const pidFile = join(s.dir, 'gateway.pid');
  if (existsSync(pidFile)) world.janitor.track(Number(readFileSync(pidFile, 'utf8')));
}

/** The service started by hand and answering, before the medic starts watching it (else its start-up is an outage). */
async function startedAndAnswering(s: Service & { setup: { env: NodeJS.ProcessEnv } }): Promise<void> {
  await restartByHand(s);
  const url = s.setup.env.GATEWAY_HEALTH_URL!;
  await waitFor(async () => (await fetch(url).then((r) => r.ok).catch(() => false)) || null, { timeoutMs: 30_000, what: 'the service to answer' });
}

/** Tracks each gateway the medic's restarts start, so cleanup stops it by pid. */
function trackGateways(s: Service): () => void {
  const timer = setInterval(() => {
    const pidFile = join(s.dir, 'gateway.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (Number.isInteger(pid) && pid > 1) world.janitor.track(pid);
    }
  }, 100);
  return () => clearInterval(timer);
}

/** The restart command ran `min`-`max` times by the medic (besides the two by hand), as many as the incident counts. */
function expectMedicRestarts(s: Service, counted: number, min: number, max: number): void {
  const byMedic = s.restarts() - 2;
  expect(byMedic).toBe(counted);
  expect(byMedic).toBeGreaterThanOrEqual(min);
  expect(byMedic).toBeLessThanOrEqual(max);
}

async function resolvedIncident(m: Awaited<ReturnType<E2eWorld['startWith']>>, what: string) {
  try {
    return await waitFor(async () => {
      const [latest] = await m.incidents();
      return latest?.state === 'resolved' ? latest : null;
    }, { timeoutMs: 90_000, what });
  } catch (err) {
    // What the ladder did instead, for the reader of a failure.
    for (const i of await m.incidents()) console.error(i.id, i.state, JSON.stringify((await m.incident(i.id)).timeline.map((r) => r.text), null, 1));
    console.error(m.log.entries.slice(-40).map((e) => `${e.level} ${e.msg}`).join('\n'));
    throw err;
  }
}

describe('a gateway run as a service: its certain repairs, through the restart command', () => {
  it('a plugin that kills every start: named from the log, disabled (only it) at the second outage, verified by the restart command', async () => {
    const s = await service();
    const untrack = trackGateways(s);
    try {
      await startedAndAnswering(s);
      const m = await world.startWith(s.setup);
      await m.waitStatus('healthy', (t) => t.health === 'up' && t.incident === null, 30_000);
      // The fault: the plugin gets installed and the service restarted; from now on each start dies in it.
      writeFileSync(join(s.dir, 'plugin-installed'), '');
      await restartByHand(s);
      const inc = await resolvedIncident(m, 'the plugin disabled and the service healthy again');
      expect((await m.incidents()).map((i) => i.id)).toEqual([inc.id]); // one incident, the fault's
      expect(inc).toMatchObject({ outcome: 'fixed by disable-plugin', disabledPlugins: [PLUGIN], failure: { class: 'plugin-crash', culprit: PLUGIN } });
      const lines = (await m.incident(inc.id)).timeline.map((r) => r.text);
      expect(lines).toContain(`failure class plugin-crash (${PLUGIN}): plugin ${PLUGIN} crashed the gateway with an uncaught exception (evidence: "Error: boom from ${PLUGIN}")`);
      expect(lines).toContain(`level 2: plugin ${PLUGIN} crashed the gateway at two starts in a row: disabling only that plugin`);
      expect(lines).toContain(`repair: disable-plugin ${PLUGIN}`);
      expect(lines).toContain('verifying disable-plugin: starting the gateway');
      expect(readFileSync(s.calls, 'utf8').split('\n')).toContain(`openclaw plugins disable ${PLUGIN}`);
      // No loop: besides the two by hand, the medic's level-1 restarts (the plugin named at one outage; one more when
      // the first outage was read before the new start had crashed: the port closes before the crash is written)
      // and the verifying one.
      expectMedicRestarts(s, inc.restarts, 2, 3);
      expect(m.status().health).toBe('up');
    } finally {
      untrack();
    }
  }, 150_000);

  it("a config stamped by a newer OpenClaw: its doctor at once, then the restart command; the service healthy, no restart loop", async () => {
    const s = await service();
    const untrack = trackGateways(s);
    try {
      await startedAndAnswering(s);
      const m = await world.startWith(s.setup);
      await m.waitStatus('healthy', (t) => t.health === 'up' && t.incident === null, 30_000);
      writeFileSync(join(s.dir, 'config-stamped-2099'), '');
      await restartByHand(s);
      const inc = await resolvedIncident(m, 'the doctor run and the service healthy again');
      expect(inc).toMatchObject({ outcome: 'fixed by doctor', failure: { class: 'version-drift', culprit: 'config stamped 2099.1.0' } });
      const lines = (await m.incident(inc.id)).timeline.map((r) => r.text);
      expect(lines).toContain('level 2: the config was stamped by a newer OpenClaw: its doctor rewrites the stamp; no restart loop');
      expect(readFileSync(s.calls, 'utf8')).toContain('doctor --fix --non-interactive');
      // The verifying restart after the doctor, and at most one level-1 restart before it (read before the crash was written).
      expectMedicRestarts(s, inc.restarts, 1, 2);
    } finally {
      untrack();
    }
  }, 150_000);

  it('a state lock naming a live process that is not a gateway: the lock removed, that process never signalled, the service healthy', async () => {
    const s = await service();
    const untrack = trackGateways(s);
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    const pid = world.janitor.track(sleeper.pid);
    try {
      await startedAndAnswering(s);
      const m = await world.startWith(s.setup);
      await m.waitStatus('healthy', (t) => t.health === 'up' && t.incident === null, 30_000);
      // After a "reboot" the lock names a pid now reused by an unrelated `sleep` (same start time, nothing on its port).
      mkdirSync(s.lockDir, { recursive: true });
      const lockPort = await freePort();
      writeFileSync(join(s.lockDir, 'gateway.abc123.lock'), JSON.stringify({ pid, startTime: Number(await readProcessStartTime(pid)), port: lockPort }));
      writeFileSync(join(s.dir, 'lock-pid'), String(pid));
      await restartByHand(s);
      const inc = await resolvedIncident(m, 'the stale lock removed and the service healthy again');
      expect(inc).toMatchObject({ outcome: 'fixed by remove-stale-lock', failure: { class: 'stale-lock', culprit: `pid ${pid}` } });
      const lines = (await m.incident(inc.id)).timeline.map((r) => r.text);
      expect(lines.some((l) => l.startsWith('remove-stale-lock finished: removed gateway.abc123.lock') && l.includes(`pid ${pid} was not signalled`))).toBe(true);
      expect(readdirSync(s.lockDir)).toEqual([]);
      expectMedicRestarts(s, inc.restarts, 1, 2);
      expect(isAlive(pid)).toBe(true);
      expect(sleeper.signalCode).toBeNull();
    } finally {
      untrack();
    }
  }, 150_000);
});
