/**
 * Every command's bad arguments: one line on stderr saying what is wrong and the valid form,
 * exit 2, nothing on stdout, never a stack trace, and no request to any medic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';
import { COMMANDS } from '../../../src/cli/commands.js';

const home = mkdtempSync(join(tmpdir(), 'clawmedic-args-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A port nothing listens on (bound then released). */
const closedPort = await new Promise<number>((resolve) => {
  const srv = createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as { port: number };
    srv.close(() => resolve(port));
  });
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  // No medic is announced in this HOME and MEDIC_HTTP_PORT points at nothing: a request would fail with exit 1.
  const env = { HOME: home, PATH: process.env.PATH, MEDIC_HTTP_PORT: String(closedPort), MEDIC_DATA_DIR: join(home, 'data') };
  const code = await main(argv, env, { out: (t) => out.push(t), err: (t) => err.push(t), width: undefined });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const BAD: [string[], string][] = [
  [['status', 'gw'], "clawmedic status: takes no argument (got 'gw')"],
  [['status', '--minutes', '3'], 'clawmedic status: unknown option --minutes'],
  [['status', '--url', 'ftp://x'], "--url must look like http://127.0.0.1:18790 (got 'ftp://x')"],
  [['incidents', '--limit', 'soon'], "--limit must be a whole number of incidents from 1 to 500 (got 'soon')"],
  [['incidents', '--limit', '0'], "--limit must be a whole number of incidents from 1 to 500 (got '0')"],
  [['incidents', 'gw-1', 'gw-2'], "clawmedic incidents: takes one ID (got 'gw-1 gw-2')"],
  [['recover'], 'clawmedic recover: needs a target name'],
  [['recover', 'gw'], 'clawmedic recover: needs --level 0, 1, 2, 3 or 4'],
  [['recover', 'gw', '--level', '7'], "--level must be 0, 1, 2, 3 or 4 (got '7')"],
  [['recover', 'gw', '--level', 'abc'], "--level must be 0, 1, 2, 3 or 4 (got 'abc')"],
  [['recover', 'gw', '--level', '-1'], "--level must be 0, 1, 2, 3 or 4 (got '-1')"],
  [['recover', 'gw', '--level', '1.5'], "--level must be 0, 1, 2, 3 or 4 (got '1.5')"],
  [['recover', 'gw', '--level', '1', '--note'], 'clawmedic recover: --note needs a value'],
  [['approve'], 'clawmedic approve: needs a target name'],
  [['approve', 'gw', '--deny', '--for-incident'], 'clawmedic approve: --deny and --for-incident do not go together'],
  [['approve', 'gw', '--yes'], 'clawmedic approve: unknown option --yes'],
  [['approve', 'gw', '--deny=no'], 'clawmedic approve: --deny takes no value'],
  [['abort'], 'clawmedic abort: needs a target name'],
  [['abort', 'gw', '--minutes', '3'], 'clawmedic abort: unknown option --minutes'],
  [['pause', 'gw', '--minutes', 'soon'], "--minutes must be a whole number of minutes from 1 to 10080 (got 'soon')"],
  [['pause', 'gw', '--minutes', '-3'], "--minutes must be a whole number of minutes from 1 to 10080 (got '-3')"],
  [['pause', 'gw', '--minutes=-3'], "--minutes must be a whole number of minutes from 1 to 10080 (got '-3')"],
  [['pause', 'gw', '--minutes', '0'], "--minutes must be a whole number of minutes from 1 to 10080 (got '0')"],
  [['pause', 'gw', '--minutes', '1.5'], "--minutes must be a whole number of minutes from 1 to 10080 (got '1.5')"],
  [['pause', 'gw', '--minutes', '10081'], "--minutes must be a whole number of minutes from 1 to 10080 (got '10081')"],
  [['pause', 'gw', '--minutes'], 'clawmedic pause: --minutes needs a value'],
  [['pause'], 'clawmedic pause: needs a target name'],
  [['pause', 'gw', 'openclaw'], "clawmedic pause: takes one target (got 'gw openclaw')"],
  [['resume'], 'clawmedic resume: needs a target name'],
  [['resume', 'gw', '--level', '1'], 'clawmedic resume: unknown option --level'],
  [['dashboard', 'gw'], "clawmedic dashboard: takes no argument (got 'gw')"],
  [['postmortem'], 'clawmedic postmortem: needs an incident id (the ids are in clawmedic incidents)'],
  [['postmortem', 'gw-1', 'gw-2'], "clawmedic postmortem: takes one ID (got 'gw-1 gw-2')"],
  [['postmortem', 'gw-1', '--out'], 'clawmedic postmortem: --out needs a value'],
  [['digest', '--days', '0'], 'clawmedic digest: --days must be'],
  [['digest', 'gw'], "clawmedic digest: takes no argument (got 'gw')"],
  [['dashboard', '--name', '<script>'], `clawmedic dashboard: --name must be 1-64 letters, digits, spaces, ".", "_", "@" or "-" (got '<script>')`],
  [['dashboard', '--name'], 'clawmedic dashboard: --name needs a value'],
  [['run', 'now'], "clawmedic run: takes no argument (got 'now')"],
  [['run', '--port', '1'], 'clawmedic run: unknown option --port'],
  [['demo', '--fast'], 'clawmedic demo: unknown option --fast'],
  [['check-config', '--verbose'], 'clawmedic check-config: unknown option --verbose'],
  [['deploy-commands', '--guild', 'x'], 'clawmedic deploy-commands: unknown option --guild'],
  [['fleet', 'remove', 'b'], "clawmedic fleet: the fleet command is 'fleet forget <host>' (got 'remove b')"],
  [['fleet', 'forget', 'b'], 'clawmedic fleet: needs the fleet settings (FLEET_ETCD_ENDPOINTS, FLEET_NAME, ...) of this host in .env'],
  [['install'], 'install needs --systemd (Linux) or --launchd (macOS)'],
  [['install', '--systemd', '--force'], 'unknown option --force'],
  [['install', '--systemd', '--env-file'], '--env-file needs a value'],
  [['uninstall', '--systemd', '--gateway-command', 'x'], 'uninstall takes only --systemd|--launchd and --dry-run'],
  [['guardian'], 'guardian runs one pass and exits'],
  [['frobnicate'], "unknown command 'frobnicate': see clawmedic --help"],
  [['--frobnicate'], 'unknown option --frobnicate: the command comes first'],
];

describe('bad arguments', () => {
  it.each(BAD)('%j: exit 2, one line: %s', async (argv, problem) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toContain(problem);
    expect(r.err).not.toMatch(/\n\s+at |node:internal|Error:/);
    const spec = COMMANDS.find((c) => c.name === argv[0]);
    if (spec) expect(r.err).toContain(`Usage: clawmedic ${argv[0]}`);
  });

  it('covers every command', () => {
    const covered = new Set(BAD.map(([argv]) => argv[0]));
    expect(COMMANDS.map((c) => c.name).filter((n) => !covered.has(n))).toEqual([]);
  });
});

describe('--version, --help', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the version, exit 0', async (flag) => {
    expect(await run([flag])).toEqual({ code: 0, out: 'clawmedic 0.1.0', err: '' });
  });

  it('--help lists every command, exit 0; no command at all is exit 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.out).toContain(`  clawmedic ${c.synopsis}`);
    expect((await run([])).code).toBe(2);
  });

  it('<command> --help prints its usage, exit 0', async () => {
    expect(await run(['pause', '--help'])).toEqual({
      code: 0,
      out: 'Usage: clawmedic pause <target> [--minutes N] [--json] [--url URL | --data-dir DIR]\n  maintenance: watch but do not act, for N minutes or until resume',
      err: '',
    });
    expect((await run(['install', '-h'])).out).toContain('Usage: clawmedic install --systemd|--launchd');
  });

  it('good arguments reach the medic (here: none answers, exit 1 with one line)', async () => {
    const r = await run(['pause', 'gw', '--minutes', '10']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`clawmedic is not answering on http://127.0.0.1:${closedPort}/pause (ECONNREFUSED; MEDIC_HTTP_PORT ${closedPort}): is it running?`);
    expect(r.err.split('\n')).toHaveLength(1);
  });
});
