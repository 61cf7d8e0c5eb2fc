/**
 * Postmortems and digests of a real incident: the in-process medic, a real kill -9 of the demo
 * gateway, the local API and the `clawmedic` command (built dist/) reading them.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { E2eWorld, healthyAndCalm } from '../e2e/harness.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const world = new E2eWorld();
/** The command as a child process, asynchronously: the medic under test answers from this very process. */
function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      ok({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
afterEach(() => world.cleanup());

describe('postmortem and digest', () => {
  it('of a kill -9 that the medic healed: over the API and from the command line', async () => {
    const m = await world.start({ mode: 'ok' });
    const first = await m.waitStatus('healthy', healthyAndCalm);
    process.kill(first.pid!, 'SIGKILL');
    await m.waitStatus('healthy again with a new pid', (t) => healthyAndCalm(t) && t.pid !== first.pid);
    const [incident] = await m.incidents();
    expect(incident).toMatchObject({ id: 'gw-1', state: 'resolved' });

    const api = `http://127.0.0.1:${m.apiPort}`;
    const pm = (await (await fetch(`${api}/incidents/gw-1/postmortem`)).json()) as { id: string; markdown: string };
    expect(pm.id).toBe('gw-1');
    expect(pm.markdown).toContain('# Postmortem: gw-1 (gw)');
    expect(pm.markdown).toContain('- **What happened:** gateway was killed by SIGKILL');
    expect(pm.markdown).toMatch(/- Recovered after [\d.]+ s, with no person/);
    expect(pm.markdown).toMatch(/L0 gateway started \(pid \d+\)/);
    expect((await fetch(`${api}/incidents/nope/postmortem`)).status).toBe(404);

    const dg = (await (await fetch(`${api}/digest?days=1`)).json()) as { incidents: number; resolved: number; markdown: string };
    expect(dg).toMatchObject({ incidents: 1, resolved: 1 });
    expect(dg.markdown).toContain('- Incidents: 1; resolved 1; needed a person 0; healed with no person 1');

    const env = { PATH: process.env.PATH, HOME: m.dataDir };
    const out = join(m.dataDir, 'gw-1.md');
    const written = await cli(env, 'postmortem', 'gw-1', '--out', out, '--url', api);
    expect(written.stderr).toBe('');
    expect(written.stdout).toBe(`wrote the postmortem of gw-1 to ${out}\n`);
    expect(await readFile(out, 'utf8')).toBe(pm.markdown);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const missing = await cli(env, 'postmortem', 'nope', '--url', api);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('no incident nope');
    const badDir = await cli(env, 'postmortem', 'gw-1', '--out', join(m.dataDir, 'no', 'such', 'dir.md'), '--url', api);
    expect(badDir.status).toBe(2);
    expect(badDir.stderr).toMatch(/^clawmedic postmortem: cannot write .* \(ENOENT\): choose a file in a folder that exists\n$/);
  }, 60_000);
});
