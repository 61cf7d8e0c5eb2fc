import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/recovery/ports.js';
import { ConfigGuard } from '../../src/recovery/repair/config-guard.js';
import { findPortHolder } from '../../src/recovery/repair/port-holder.js';
import { GATEWAY_MARKER, markerValue } from '../../src/lib/gateway-marker.js';
import { GatewayRepairKit } from '../../src/recovery/repair/repairs.js';
import { mainProgramOf, programOf } from '../../src/recovery/repair/stale-holder.js';

const GOOD = '{ gateway: { mode: "local", port: 18789 } }\n';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let dir: string;
let configPath: string;
let port: number;
const pids: number[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: p } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return p;
}

/** A fake gateway script: listens on argv[2], prints `ready`; `stubborn` ignores SIGTERM. */
async function gatewayScript(name: string, stubborn = false): Promise<string> {
  const path = join(dir, name);
  const trap = stubborn ? "process.on('SIGTERM', () => {});" : '';
  await writeFile(path, `${trap}require('http').createServer().listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));\n`);
  return path;
}

/** Runs `argv` detached (its own process group) and waits for `ready` on its output. */
async function startListener(argv: string[], env?: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: true, ...(env ? { env } : {}) });
  pids.push(child.pid!);
  await once(child.stdout!, 'data');
  return child;
}

/** Running, and not a zombie waiting for a parent (or a container's init) to reap it. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function kit(options: { known?: number[]; gatewayCommand?: string | null; marker?: string; stopGraceMs?: number; doctorCommand?: string; env?: NodeJS.ProcessEnv; validateCommand?: string } = {}) {
  const guard = new ConfigGuard({ configPath, dataDir: join(dir, 'data'), kind: 'openclaw', clock: Date, log: silent });
  return new GatewayRepairKit({
    guard,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
    doctorCommand: options.doctorCommand ?? 'echo doctor ran',
    doctorTimeoutMs: 5000,
    knownPids: () => options.known ?? [],
    gatewayCommand: options.gatewayCommand ?? null,
    ...(options.marker ? { gatewayMarker: options.marker } : {}),
    log: silent,
    ...(options.stopGraceMs !== undefined ? { stopGraceMs: options.stopGraceMs } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.validateCommand ? { validateCommand: options.validateCommand } : {}),
  });
}

/**
 * An installed program as `openclaw` is: `<bin>/<name>` a symlink to a node script in a package
 * folder, found through PATH. `title` renames its process title as OpenClaw does.
 */
async function installProgram(name: string, title: string | null = null): Promise<{ bin: string; link: string; real: string }> {
  const bin = join(dir, 'bin');
  const pkg = join(dir, 'pkg');
  await mkdir(bin, { recursive: true });
  await mkdir(pkg, { recursive: true });
  const real = join(pkg, `${name}.js`);
  const rename = title === null ? '' : `process.title = ${JSON.stringify(title)};`;
  const listen = "require('http').createServer().listen(Number(process.argv.at(-1)), '127.0.0.1', () => console.log('ready'));";
  await writeFile(real, `#!${process.execPath}\n${rename}${listen}\n`);
  await chmod(real, 0o755);
  const link = join(bin, name);
  await symlink(real, link);
  return { bin, link, real };
}

function withPath(bin: string): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawmedic-repairs-'));
  configPath = join(dir, 'openclaw.json');
  port = await freePort();
});

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('diagnose and restore-config', () => {
  it('reports an invalid config with no known-good copy', async () => {
    await writeFile(configPath, '{ gateway: { port: 18789 } }');
    expect(await kit().diagnose()).toEqual({
      config: { ok: false, error: `${configPath}: gateway.mode: missing; the gateway refuses to start without it (set it to "local")`, modeMissingOnly: true },
      lastKnownGood: { available: false, differs: false },
      portHolder: null,
    });
  });

  it('finds the known-good copy, restores it and keeps the broken file aside', async () => {
    const k = kit();
    await writeFile(configPath, GOOD);
    await k.captureConfig();
    await k.snapshotConfig(null);
    await writeFile(configPath, '{ broken');
    const d = await k.diagnose();
    expect(d.config.ok).toBe(false);
    expect(d.config.error).toContain('not valid JSON5');
    expect(d.lastKnownGood).toEqual({ available: true, differs: true });

    const result = await k.run('restore-config', null);
    expect(result.ok).toBe(true);
    const aside = (await readdir(dir)).find((n) => n.startsWith('openclaw.json.broken.'));
    expect(aside).toMatch(/^openclaw\.json\.broken\.\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(result.detail).toContain(`kept the replaced file as ${join(dir, aside!)}`);
    expect(await readFile(join(dir, aside!), 'utf8')).toBe('{ broken');
    expect(await readFile(configPath, 'utf8')).toBe(GOOD);
    expect((await k.diagnose()).lastKnownGood).toEqual({ available: true, differs: false });
  });

  it('restores at once and runs the validate command beside the verifying start: its verdict comes later, as the check', async () => {
    const marker = join(dir, 'validated');
    // A validator as slow as `openclaw config validate` (5-9 s on the real gateway), here 1.5 s, that says no.
    const validate = `sleep 1.5; touch ${marker}; echo 'Config invalid: gateway.port: expected number' >&2; exit 1`;
    const k = kit({ validateCommand: validate });
    await writeFile(configPath, GOOD);
    await k.captureConfig();
    await k.snapshotConfig(null);
    await writeFile(configPath, '{ broken');
    const result = await k.run('restore-config', null);
    // Back before the validator finished: the verifying start does not wait for it.
    expect(existsSync(marker)).toBe(false);
    expect(result.ok).toBe(true);
    expect(result.detail).toContain(`${validate} runs beside the verifying start`);
    expect(await readFile(configPath, 'utf8')).toBe(GOOD);
    expect(await result.check).toEqual({ ok: false, detail: expect.stringMatching(/says no \(exit 1 in [\d.]+ s\): Config invalid: gateway\.port: expected number$/) });
    expect(existsSync(marker)).toBe(true);
    // A validator that is not installed (127): clawmedic's own checks stand.
    await writeFile(configPath, '{ broken again');
    const missing = await kit({ validateCommand: 'no-such-openclaw-cli config validate' }).run('restore-config', null);
    expect(await missing.check).toEqual({ ok: true, detail: expect.stringContaining('not installed here') });
  });

  it('will not run the doctor while something holds the port', async () => {
    await writeFile(configPath, GOOD);
    const child = await startListener([process.execPath, await gatewayScript('gw.js'), String(port)]);
    const result = await kit().run('doctor', null);
    expect(result).toEqual({ ok: false, detail: expect.stringContaining(`not running doctor: port ${port} is held by pid ${child.pid}`) });
    expect(alive(child.pid!)).toBe(true);
  });

  it('runs the doctor when the port is free', async () => {
    await writeFile(configPath, GOOD);
    expect(await kit().run('doctor', null)).toEqual({ ok: true, detail: expect.stringMatching(/^doctor exit 0 .*"doctor ran"; config validates$/) });
  });
});

describe('stop-stale', () => {
  it('stops a holder whose pid the target knows, and frees the port', async () => {
    const child = await startListener([process.execPath, await gatewayScript('gw.js'), String(port)]);
    const k = kit({ known: [child.pid!] });
    expect((await k.diagnose()).portHolder).toEqual({ pid: child.pid, command: expect.stringContaining('gw.js'), stale: true });
    const result = await k.run('stop-stale', child.pid!);
    expect(result).toEqual({ ok: true, detail: expect.stringMatching(new RegExp(`^stopped pid ${child.pid} \\(.*gw\\.js ${port}\\) with SIGTERM; port ${port} is free$`)) });
    expect(await findPortHolder(port)).toBeNull();
  });

  it('recognises a stale gateway by its main program path, and not a foreign one', async () => {
    const script = await gatewayScript('gw.js');
    const child = await startListener([process.execPath, script, String(port)]);
    expect((await kit({ gatewayCommand: `node ${join(dir, 'other.js')} --port ${port}` }).diagnose()).portHolder?.stale).toBe(false);
    const k = kit({ gatewayCommand: `node "${script}" ${port}` });
    expect((await k.diagnose()).portHolder?.stale).toBe(true);
    expect((await k.run('stop-stale', child.pid!)).ok).toBe(true);
  });

  it('recognises a stale gateway of a plain command line: its program found through PATH, as the gateway shell would', async () => {
    const { bin, link, real } = await installProgram('fakeclaw');
    // Started through the PATH's symlink (as `sh -c 'fakeclaw gateway run'` does), then as a re-launch by its real path.
    for (const argv of [[link, 'gateway', 'run', String(port)], [process.execPath, real, 'gateway', 'run', String(port)]]) {
      const child = await startListener(argv);
      expect((await kit({ gatewayCommand: 'otherclaw gateway run', env: withPath(bin) }).diagnose()).portHolder?.stale).toBe(false);
      // The same name, but not on the gateway's PATH: not evidence.
      expect((await kit({ gatewayCommand: 'fakeclaw gateway run', env: { ...process.env, PATH: '/usr/bin:/bin' } }).diagnose()).portHolder?.stale).toBe(false);
      const k = kit({ gatewayCommand: 'fakeclaw gateway run', env: withPath(bin) });
      expect((await k.diagnose()).portHolder).toMatchObject({ pid: child.pid, stale: true });
      expect((await k.run('stop-stale', child.pid!)).ok).toBe(true);
      expect(await findPortHolder(port)).toBeNull();
    }
  });

  it('recognises a stale gateway of a plain command line that renamed its process title', async () => {
    const { bin, link } = await installProgram('fakeclaw', 'fakeclaw-gateway');
    const child = await startListener([link, 'gateway', 'run', String(port)]);
    expect((await findPortHolder(port))?.command).toBe('fakeclaw-gateway');
    expect((await kit({ gatewayCommand: 'otherclaw gateway run', env: withPath(bin) }).diagnose()).portHolder?.stale).toBe(false);
    const k = kit({ gatewayCommand: 'fakeclaw gateway run', env: withPath(bin) });
    expect((await k.diagnose()).portHolder).toMatchObject({ pid: child.pid, stale: true });
    expect((await k.run('stop-stale', child.pid!)).ok).toBe(true);
    expect(await findPortHolder(port)).toBeNull();
  });

  it("recognises a gateway of this target's by the spawn marker in its environment, whatever runs it (explorer, in-process seed 218)", async () => {
    // OpenClaw's re-launch wrapper killed before the medic saw its child: the gateway runs on, orphaned, in a
    // session of its own, under a program that is not GATEWAY_COMMAND's, its pid in no record. Before, the medic
    // asked a person to stop its own gateway.
    const ours = markerValue(join(dir, 'data', 'gw'));
    const command = `node ${join(dir, 'relaunch-wrapper.js')} -- node gw.js`;
    const child = await startListener([process.execPath, await gatewayScript('gw.js'), String(port)], { ...process.env, [GATEWAY_MARKER]: ours });
    expect((await kit({ gatewayCommand: command }).diagnose()).portHolder?.stale).toBe(false);
    expect((await kit({ gatewayCommand: command, marker: markerValue(join(dir, 'other-medic', 'gw')) }).diagnose()).portHolder?.stale).toBe(false);
    const k = kit({ gatewayCommand: command, marker: ours });
    expect((await k.diagnose()).portHolder).toMatchObject({ pid: child.pid, stale: true });
    expect((await k.run('stop-stale', child.pid!)).ok).toBe(true);
    expect(await findPortHolder(port)).toBeNull();
  });

  it('refuses to stop a foreign holder and leaves it running', async () => {
    const child = await startListener([process.execPath, await gatewayScript('gw.js'), String(port)]);
    const k = kit({ known: [999_999] });
    expect((await k.diagnose()).portHolder).toMatchObject({ pid: child.pid, stale: false });
    const result = await k.run('stop-stale', child.pid!);
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(new RegExp(`^refusing to stop pid ${child.pid} \\(.*\\): it is not a gateway this target started; stopping a foreign process is a person's decision$`));
    expect(alive(child.pid!)).toBe(true);
    expect((await findPortHolder(port))?.pid).toBe(child.pid);
  });

  it('refuses a pid that does not hold the port', async () => {
    const child = await startListener([process.execPath, await gatewayScript('gw.js'), String(port)]);
    const result = await kit({ known: [child.pid!, process.pid] }).run('stop-stale', process.pid);
    expect(result).toEqual({ ok: false, detail: `pid ${process.pid} does not hold port ${port}; pid ${child.pid} (${(await findPortHolder(port))!.command}) does; nothing stopped` });
    expect(alive(child.pid!)).toBe(true);
  });

  it('sends SIGKILL to a stale holder that ignores SIGTERM', async () => {
    const child = await startListener([process.execPath, await gatewayScript('stubborn.js', true), String(port)]);
    const result = await kit({ known: [child.pid!], stopGraceMs: 300 }).run('stop-stale', child.pid!);
    expect(result).toEqual({ ok: true, detail: expect.stringMatching(/ignored SIGTERM for 0\.3 s; sent SIGKILL; port \d+ is free$/) });
    expect(await findPortHolder(port)).toBeNull();
  });

  it('stops the whole group when the holder is a child of the known gateway', async () => {
    const script = await gatewayScript('gw.js');
    // A shell (the known pid, group leader) whose child node process holds the port.
    const shell = await startListener(['/bin/sh', '-c', `"${process.execPath}" "${script}" ${port}; echo done`]);
    const holder = await findPortHolder(port);
    expect(holder?.pid).not.toBe(shell.pid);
    const k = kit({ known: [shell.pid!] });
    expect((await k.diagnose()).portHolder).toMatchObject({ pid: holder!.pid, stale: true });
    expect((await k.run('stop-stale', holder!.pid)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(holder!.pid)).toBe(false);
    expect(shell.exitCode !== null || shell.signalCode !== null).toBe(true);
  });
});

describe('doctorInstalled (checked once at start-up)', () => {
  it('finds the program on PATH or by its path, and says no for one that is not there', async () => {
    expect(await kit({ doctorCommand: 'sh -c true' }).doctorInstalled()).toBe(true);
    expect(await kit({ doctorCommand: 'FOO=1 /bin/sh -c true' }).doctorInstalled()).toBe(true);
    expect(await kit({ doctorCommand: 'clawmedic-no-such-doctor --fix' }).doctorInstalled()).toBe(false);
    expect(await kit({ doctorCommand: `${dir}/openclaw doctor --fix` }).doctorInstalled()).toBe(false);
    expect(programOf('env OPENCLAW_X=1 openclaw doctor')).toBe('openclaw');
  });
});

describe('mainProgramOf', () => {
  it('takes the program or an interpreter script, absolute paths only', () => {
    expect(mainProgramOf('/usr/local/bin/openclaw gateway run')).toBe('/usr/local/bin/openclaw');
    expect(mainProgramOf('FOO=1 node --max-old-space-size=512 /opt/gw/index.js run')).toBe('/opt/gw/index.js');
    expect(mainProgramOf('openclaw gateway run')).toBeNull();
    expect(mainProgramOf('node dist/index.js')).toBeNull();
    // A bare program name counts once found (through the gateway's PATH); a relative script never does.
    const find = (name: string) => (name === 'openclaw' ? '/opt/bin/openclaw' : null);
    expect(mainProgramOf('openclaw gateway run', find)).toBe('/opt/bin/openclaw');
    expect(mainProgramOf('OPENCLAW_NO_AUTO_UPDATE=1 openclaw gateway run', find)).toBe('/opt/bin/openclaw');
    expect(mainProgramOf('otherclaw gateway run', find)).toBeNull();
    expect(mainProgramOf('./openclaw gateway run', find)).toBeNull();
    expect(mainProgramOf('node dist/index.js', find)).toBeNull();
  });
});
