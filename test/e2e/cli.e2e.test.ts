/**
 * The real `clawmedic` command as a child process: kill -9 of the medic mid-incident,
 * the local API and its token, the CLI's exit codes. Needs dist/ (built by global setup).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { descendants } from '../../src/lib/process-table.js';
import { listPortHolders } from '../../src/recovery/repair/port-holder.js';
import { freePort, isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const world = new E2eWorld();
afterEach(() => world.cleanup());
beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) {
    throw new Error('dist/ is missing: the build in test/global-setup.ts failed (see its output above)');
  }
});

function startCli(env: NodeJS.ProcessEnv, command: 'run' | 'demo' = 'run'): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  world.janitor.track(child.pid);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
}

/** The CLI run from `cwd` (a folder with no .env), as a user in another terminal. */
function cliIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 });
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((ok) => child.once('exit', (code) => ok(code)));
}

/** The announcements in `home`'s ~/.clawmedic/run. */
function announced(home: string): any[] {
  const dir = join(home, '.clawmedic', 'run');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
}

async function api(port: number, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const body = (await res.json()) as any;
  // Every gateway a medic reports is ours to stop, even if the test fails before its medic stops it.
  for (const t of body?.targets ?? []) if (t.pid) world.janitor.track(t.pid);
  return { status: res.status, body };
}

/**
 * Pids of gateways whose command line mentions `needle` (our unique temp config path). The
 * `/bin/sh -c …` the medic spawns a plain GATEWAY_COMMAND with mentions it too, and is not a gateway.
 */
function gatewaysMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return argv.includes(needle) && !argv.startsWith('/bin/sh\0-c\0') && isAlive(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('clawmedic run', () => {
  it('kill -9 of the medic mid-incident: the next medic adopts the gateway and resumes the incident', async () => {
    const setup = await world.envFor({ mode: 'ok', startDelayMs: 2500 });
    const { env, apiPort, configPath } = setup;
    const a = startCli(env);
    const healthy = await waitFor(
      async () => {
        const { body } = await api(apiPort, '/status').catch(() => ({ body: null }) as { body: any });
        const t = body?.targets?.[0];
        return t?.health === 'up' && t.incident === null ? t : null;
      },
      { timeoutMs: 30_000, what: `the first medic to report healthy\n${a.output()}` },
    );
    process.kill(healthy.pid, 'SIGKILL');
    const restarting = await waitFor(
      async () => {
        const t = (await api(apiPort, '/status')).body.targets[0];
        return t.incident && t.pid && t.pid !== healthy.pid ? t : null;
      },
      { what: 'a restart in flight' },
    );
    world.janitor.track(restarting.pid);
    a.kill('SIGKILL');
    await waitFor(() => !isAlive(a.pid!), { what: 'the first medic to die' });
    // The gateway outlives a medic killed with -9. The pid shown while it starts is the shell the
    // medic spawned (nothing listens yet), the gateway's parent; once it listens, the gateway's own.
    expect(isAlive(restarting.pid)).toBe(true);

    const b = startCli(env);
    const back = await waitFor(
      async () => {
        const res = await api(apiPort, '/status').catch(() => null);
        const t = res?.body.targets[0];
        return t?.health === 'up' && t.incident === null ? t : null;
      },
      { timeoutMs: 30_000, what: `the second medic to resume and resolve\n${b.output()}` },
    );
    // The same run, adopted (not a second gateway started): the process serving the port, of that run.
    const ofRun = [restarting.pid, ...descendants(restarting.pid)];
    if (!ofRun.includes(back.pid)) console.log(b.output());
    expect(ofRun).toContain(back.pid);
    expect(gatewaysMentioning(configPath)).toEqual([back.pid]);
    expect((await listPortHolders(setup.gatewayPort)).map((h) => h.pid)).toEqual([back.pid]);

    const { body: list } = await api(apiPort, '/incidents');
    expect(list.incidents.map((i: any) => [i.id, i.state])).toEqual([['gw-1', 'resolved']]);
    const { body: one } = await api(apiPort, '/incidents/gw-1');
    const lines: string[] = one.timeline.map((r: any) => r.text);
    expect(lines[0]).toBe('gateway was killed by SIGKILL');
    // Said when it was started: the pid spawned, as nothing listened yet (`restarting.pid` unless the
    // poll above came after the gateway was listening).
    const started = Number(lines.map((l) => /^gateway started \(pid (\d+)\)$/.exec(l)?.[1]).find(Boolean));
    expect([started, ...descendants(started)]).toContain(back.pid);
    // Adopted as the pid record named it: the listener, or the shell when nothing listened yet.
    const adopted = Number(lines.map((l) => /^medic restarted; adopted the running gateway \(pid (\d+)\)$/.exec(l)?.[1]).find(Boolean));
    expect([started, ...descendants(started)], lines.join('\n')).toContain(adopted);
    expect(lines.at(-1)).toMatch(/^resolved after [\d.]+ s at level 0/);

    b.kill('SIGTERM');
    const code = await new Promise<number | null>((ok) => b.once('exit', (c) => ok(c)));
    expect(code).toBe(0);
    await waitFor(() => [restarting.pid, back.pid].every((pid) => !isAlive(pid)), { what: 'the gateway to stop with the medic' });
    expect(gatewaysMentioning(configPath)).toEqual([]);
  });

  it('serves the local API: reads for anyone, operator requests only with the token', async () => {
    const { env, apiPort } = await world.envFor({ mode: 'ok' });
    const medic = startCli(env);
    await waitFor(async () => (await api(apiPort, '/status').catch(() => null))?.body.targets[0].health === 'up', {
      timeoutMs: 30_000,
      what: `healthy\n${medic.output()}`,
    });
    const { body: health } = await api(apiPort, '/healthz');
    expect(health).toMatchObject({ ok: true, version: '0.1.0' });
    const { body: status } = await api(apiPort, '/status');
    expect(Object.keys(status.targets[0])).toEqual(
      expect.arrayContaining(['name', 'health', 'pid', 'restarts', 'lastProbe', 'incident']),
    );

    const post = (body: unknown, token?: string) =>
      api(apiPort, '/recover', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ target: 'gw', level: 1 })).status).toBe(401);
    expect((await post({ target: 'gw', level: 1 }, 'wrong-token')).status).toBe(401);
    const token = readFileSync(join(env.MEDIC_DATA_DIR!, 'api-token'), 'utf8').trim();
    const bad = await post({ target: 'gw', level: 7 }, token);
    expect(bad).toMatchObject({ status: 400, body: { error: 'level: level must be 0, 1, 2, 3 or 4' } });
    expect((await post({ target: 'nope', level: 1 }, token)).status).toBe(404);
    expect((await post({ target: 'gw', level: 3 }, token)).body.error).toMatch(/level 3/);
    const ok = await post({ target: 'gw', level: 1, by: 'test' }, token);
    expect(ok).toMatchObject({ status: 202, body: { target: 'gw', incident: 'gw-1' } });

    const table = cli(env, 'status');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/TARGET\s+HEALTH\s+PID/);
    expect(table.stdout).toMatch(/LAST PROBE\s+PHASE\s+INCIDENT/);
    expect(table.stdout).toMatch(/^gw\s.*\s(starting|restarting|healthy)\s+(gw-1 .*|-)$/m); // restarting, or already back
    expect(table.stdout).toMatch(/^gw\s/m);
    const recover = cli(env, 'recover', 'gw', '--level', '1', '--note', 'from the cli');
    expect([0, 1]).toContain(recover.status); // 1 when the previous restart is still in flight ("busy")
    const approve = cli(env, 'approve', 'gw');
    expect(approve.status).toBe(1);
    expect(approve.stderr).toContain('gw has no question waiting for an answer');
    expect(cli(env, 'approve', 'gw', '--deny', '--for-incident').status).toBe(2);
    const named = cli(env, 'approve', 'gw', 'gw-1-a1');
    expect(named.status).toBe(1);
    expect(named.stderr).toContain('POST /approve refused (409): gw has no question waiting for an answer');
    // The local API answers only to its own host names (DNS rebinding).
    const rebound = await new Promise<number>((ok, fail) =>
      request({ host: '127.0.0.1', port: apiPort, path: '/status', headers: { host: `attacker.example:${apiPort}` } }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      })
        .on('error', fail)
        .end(),
    );
    expect(rebound).toBe(421);
    medic.kill('SIGTERM');
    await new Promise((ok) => medic.once('exit', ok));
  });
});

describe('clawmedic (other commands)', () => {
  it('check-config exits 2 and lists every problem with how to fix it', () => {
    const r = cli({ PATH: process.env.PATH, HOME: '/nonexistent', PROBE_INTERVAL_MS: 'soon', MEDIC_HTTP_PORT: '0' }, 'check-config');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("PROBE_INTERVAL_MS");
    expect(r.stderr).toContain("MEDIC_HTTP_PORT");
    expect(r.stderr).toContain('see .env.example');
  });

  it('status says how to start the medic when it is not running, exit 1', async () => {
    const { env } = await world.envFor({ mode: 'ok' });
    const r = cli(env, 'status');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/clawmedic is not answering on http:\/\/127\.0\.0\.1:\d+\/status .*is it running\?/);
  });

  it('an unknown command is a usage error, exit 2', () => {
    const r = cli({ PATH: process.env.PATH }, 'frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('the CLI finds its medic from any folder', () => {
  it('answers the demo (data dir elsewhere, no MEDIC_HTTP_PORT here): status, pause, resume, approve', async () => {
    const home = await world.dirs.make('clawmedic-home-');
    const elsewhere = await world.dirs.make('clawmedic-cwd-');
    // The demo keeps its data under TMPDIR; its API on a free port so tests never use 18790.
    const demo = startCli({ PATH: process.env.PATH, HOME: home, TMPDIR: home, MEDIC_HTTP_PORT: String(await freePort()) }, 'demo');
    const here = { PATH: process.env.PATH, HOME: home };
    const [medic] = await waitFor(() => (announced(home).length ? announced(home) : null), { timeoutMs: 30_000, what: `the demo to announce itself\n${demo.output()}` });
    expect(medic).toMatchObject({ pid: demo.pid, targets: ['demo'], tokenFile: join(medic.dataDir, 'api-token') });
    expect(medic.dataDir.startsWith(home)).toBe(true);

    const status = cliIn(elsewhere, here, 'status', '--json');
    expect(status.stderr).toBe('');
    const body = JSON.parse(status.stdout);
    for (const t of body.targets) if (t.pid) world.janitor.track(t.pid);
    expect(body.medic.pid).toBe(demo.pid);

    const pause = cliIn(elsewhere, here, 'pause', 'demo', '--minutes', '1');
    expect(pause.stderr).toBe('');
    expect(pause.status).toBe(0);
    expect(pause.stdout).toMatch(/^paused demo until \d\d:\d\d \S+ \(1 min\): watched but not acted on; clawmedic resume demo ends it sooner\n$/);
    expect(JSON.parse(cliIn(elsewhere, here, 'status', '--json').stdout).targets[0].paused).toBeTruthy();
    // Without an id: the open question is shown, nothing answered (none: a paused target opens none, so the demo's config break at 20 s cannot race this).
    const show = cliIn(elsewhere, here, 'approve', 'demo');
    expect(show.stderr).toBe('demo has no question waiting for an answer\n');
    expect(show.status).toBe(1);
    // The token was accepted: the medic itself says the question named is not open.
    const approve = cliIn(elsewhere, here, 'approve', 'demo', 'demo-1-a1');
    expect(approve.stderr).toBe('POST /approve refused (409): demo has no question waiting for an answer\n');
    expect(approve.status).toBe(1);

    const resume = cliIn(elsewhere, here, 'resume', 'demo', '--json');
    expect(resume.status).toBe(0);
    expect(JSON.parse(resume.stdout)).toEqual({ target: 'demo', paused: false });
    demo.kill('SIGTERM');
    expect(await exited(demo)).toBe(0);
    expect(announced(home)).toEqual([]);
  });

  it('several medics: lists them and asks to choose; --data-dir and --url choose; a medic killed -9 is ignored', async () => {
    const home = await world.dirs.make('clawmedic-home-');
    const elsewhere = await world.dirs.make('clawmedic-cwd-');
    const a = await world.envFor({ mode: 'ok' });
    const b = await world.envFor({ mode: 'ok' });
    const medicA = startCli({ ...a.env, HOME: home });
    const medicB = startCli({ ...b.env, HOME: home });
    await waitFor(() => announced(home).length === 2, { timeoutMs: 30_000, what: `two announcements\n${medicA.output()}\n${medicB.output()}` });
    // A medic announces itself before its gateway has started: wait for each gateway's pid before tracking it.
    for (const port of [a.apiPort, b.apiPort]) {
      await waitFor(async () => (await api(port, '/status')).body.targets.every((t: { pid: number | null }) => t.pid !== null), {
        timeoutMs: 30_000,
        what: `the gateway behind port ${port} to have a pid`,
      });
      for (const t of (await api(port, '/status')).body.targets) world.janitor.track(t.pid);
    }
    const here = { PATH: process.env.PATH, HOME: home };

    const both = cliIn(elsewhere, here, 'status');
    expect(both.status).toBe(2);
    expect(both.stderr.trim().split('\n')).toHaveLength(1);
    expect(both.stderr).toContain('2 clawmedics are running, choose one with --url or --data-dir: ');
    expect(both.stderr).toContain(`pid ${medicA.pid} watching gw: --url http://127.0.0.1:${a.apiPort} or --data-dir ${a.env.MEDIC_DATA_DIR}`);
    expect(both.stderr).toContain(`pid ${medicB.pid} watching gw: --url http://127.0.0.1:${b.apiPort} or --data-dir ${b.env.MEDIC_DATA_DIR}`);

    const byDir = cliIn(elsewhere, here, 'status', '--json', '--data-dir', a.env.MEDIC_DATA_DIR!);
    expect(JSON.parse(byDir.stdout).medic.pid).toBe(medicA.pid);
    const byUrl = cliIn(elsewhere, here, 'pause', 'gw', '--url', `127.0.0.1:${b.apiPort}`);
    expect(byUrl.stdout).toMatch(/^paused gw: it is watched but not acted on until clawmedic resume gw/);
    expect((await api(b.apiPort, '/status')).body.targets[0].paused).toBeTruthy();
    expect((await api(a.apiPort, '/status')).body.targets[0].paused).toBeFalsy();
    const noSuch = cliIn(elsewhere, here, 'status', '--data-dir', join(home, 'nope'));
    expect(noSuch.status).toBe(1);
    expect(noSuch.stderr).toMatch(/^no running clawmedic uses the data dir .*nope; running: pid/);

    // A second medic on a port in use: one line, exit 2, before any gateway starts.
    const clash = cliIn(elsewhere, { ...a.env, HOME: home, MEDIC_DATA_DIR: join(home, 'third') }, 'run');
    expect(clash.status).toBe(2);
    expect(clash.stderr).toBe(`MEDIC_HTTP_PORT ${a.apiPort} is in use by another clawmedic (pid ${medicA.pid} watching gw: --url http://127.0.0.1:${a.apiPort} or --data-dir ${a.env.MEDIC_DATA_DIR}): stop it, or set MEDIC_HTTP_PORT to a free port\n`);

    medicA.kill('SIGKILL');
    await exited(medicA);
    expect(announced(home)).toHaveLength(2); // left behind by kill -9
    const one = cliIn(elsewhere, here, 'status', '--json');
    expect(one.stderr).toBe('');
    expect(JSON.parse(one.stdout).medic.pid).toBe(medicB.pid);
    expect(announced(home).map((x) => x.pid)).toEqual([medicB.pid]); // the stale one is cleared

    medicB.kill('SIGTERM');
    expect(await exited(medicB)).toBe(0);
    expect(announced(home)).toEqual([]);
  });

  it('run on a port another program holds: one line, exit 2', async () => {
    const holder = createServer();
    const port = await new Promise<number>((ok) => holder.listen(0, '127.0.0.1', () => ok((holder.address() as { port: number }).port)));
    try {
      const { env } = await world.envFor({ mode: 'ok' }, { MEDIC_HTTP_PORT: String(port) });
      const r = cli(env, 'run');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`MEDIC_HTTP_PORT ${port} is in use on 127.0.0.1 by another program: set MEDIC_HTTP_PORT to a free port (e.g. ${port + 1}) in .env or the environment\n`);
      expect(r.stdout).toBe('');
    } finally {
      holder.close();
    }
  });
});
