import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const HOME = '/home/op';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig({ HOME, ...env }, '/srv');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('with no variables at all watches a local OpenClaw on the embedded defaults', () => {
    const c = loadConfig({ HOME }, '/srv');
    expect(c.targets).toHaveLength(1);
    const t = c.targets[0]!;
    expect(t).toMatchObject({
      name: 'openclaw',
      command: null,
      restartCommand: null,
      healthUrl: 'http://127.0.0.1:18789/healthz',
      configPath: '/home/op/.openclaw/openclaw.json',
      doctorCommand: 'openclaw doctor --fix --non-interactive',
      probeIntervalMs: 5000,
      failureThreshold: 3,
      recoveryThreshold: 2,
      breakerMaxExits: 5,
      breakerWindowMs: 120000,
    });
    expect(c).toMatchObject({ httpHost: '127.0.0.1', httpPort: 18790, dataDir: '/home/op/.clawmedic', apiToken: null });
  });

  it('treats empty values (as in a copied .env.example) as unset', () => {
    const c = loadConfig({ HOME, GATEWAY_COMMAND: '', MEDIC_HTTP_PORT: '', MEDIC_API_TOKEN: '' }, '/srv');
    expect(c.targets[0]!.command).toBeNull();
    expect(c.httpPort).toBe(18790);
  });

  it('lists every problem at once, each naming the variable and how to fix it', () => {
    const problems = problemsOf({
      PROBE_INTERVAL_MS: 'soon',
      GATEWAY_HEALTH_URL: 'localhost:18789',
      MEDIC_HTTP_PORT: '70000',
      LOG_LEVEL: 'loud',
    });
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith('PROBE_INTERVAL_MS'))).toMatch(/got 'soon'.*fix PROBE_INTERVAL_MS in \.env, see \.env\.example/);
    expect(problems.find((p) => p.startsWith('GATEWAY_HEALTH_URL'))).toMatch(/got 'localhost:18789'/);
    expect(problems.find((p) => p.startsWith('MEDIC_HTTP_PORT'))).toMatch(/got '70000'/);
    expect(problems.find((p) => p.startsWith('LOG_LEVEL'))).toMatch(/got 'loud'/);
  });

  it('DASHBOARD_ALLOWED_HOSTS: names and name:port, lower-cased; a URL, a path or a wildcard is refused with how to write it', () => {
    expect(loadConfig({ HOME }, '/srv').allowedHosts).toEqual([]);
    expect(loadConfig({ HOME, DASHBOARD_ALLOWED_HOSTS: ' Medic.LAN, medic.example.ts.net:8443,[fd00::1],10.0.0.5 ' }, '/srv').allowedHosts).toEqual([
      'medic.lan',
      'medic.example.ts.net:8443',
      '[fd00::1]',
      '10.0.0.5',
    ]);
    for (const bad of ['http://medic.lan', 'medic.lan/dashboard', '*.lan', 'medic.lan,*', 'me dic.lan']) {
      expect(problemsOf({ DASHBOARD_ALLOWED_HOSTS: bad })).toEqual([
        `DASHBOARD_ALLOWED_HOSTS must be host names separated by commas, e.g. medic.lan,medic.example.ts.net:8443 (no http://, no path, no *) (got '${bad}'): set it in .env (default none), see .env.example`,
      ]);
    }
  });

  it('refuses contradictions between settings', () => {
    const problems = problemsOf({
      GATEWAY_COMMAND: 'openclaw gateway run',
      GATEWAY_RESTART_COMMAND: 'systemctl --user restart openclaw-gateway',
      PROBE_TIMEOUT_MS: '6000',
    });
    expect(problems.some((p) => p.includes('not both'))).toBe(true);
    expect(problems.some((p) => p.includes('PROBE_TIMEOUT_MS (6000) must be below PROBE_INTERVAL_MS (5000)'))).toBe(true);
  });

  // Found by the fault explorer: with the medic's API on the gateway's port, the gateway could never start, and the
  // ladder ended at a person with "stopping a foreign process is a person's decision" about the medic itself.
  it("refuses a gateway health URL on the medic's own API port", () => {
    expect(problemsOf({ GATEWAY_HEALTH_URL: 'http://127.0.0.1:18790/healthz' })).toContain(
      "target 'openclaw': GATEWAY_HEALTH_URL's port 18790 is MEDIC_HTTP_PORT, where the medic's own API listens: set one of them to another port",
    );
    expect(problemsOf({ GATEWAY_HEALTH_URL: 'http://localhost:4000/healthz', MEDIC_HTTP_PORT: '4000' }).some((p) => p.includes('port 4000 is MEDIC_HTTP_PORT'))).toBe(true);
    // Another host's port 18790 is not the medic's.
    expect(() => loadConfig({ HOME, GATEWAY_HEALTH_URL: 'http://10.0.0.5:18790/healthz' }, '/srv')).not.toThrow();
  });

  it('reads several targets from a targets file, env values being their defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-config-'));
    dirs.push(dir);
    const file = join(dir, 'targets.json');
    writeFileSync(
      file,
      JSON.stringify({
        targets: [
          { name: 'a', command: 'node a.js', healthUrl: 'http://127.0.0.1:1001/healthz' },
          { name: 'b', restartCommand: 'systemctl --user restart b', probeIntervalMs: 2000, probeTimeoutMs: 500 },
        ],
      }),
    );
    const c = loadConfig({ HOME, MEDIC_TARGETS_FILE: file, PROBE_FAILURE_THRESHOLD: '4' }, '/srv');
    expect(c.targets.map((t) => t.name)).toEqual(['a', 'b']);
    expect(c.targets[0]).toMatchObject({ command: 'node a.js', failureThreshold: 4, probeIntervalMs: 5000 });
    expect(c.targets[1]).toMatchObject({ restartCommand: 'systemctl --user restart b', failureThreshold: 4, probeIntervalMs: 2000 });
  });

  it('says which key of the targets file is wrong and suggests the right one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-config-'));
    dirs.push(dir);
    const file = join(dir, 'targets.json');
    writeFileSync(file, JSON.stringify({ targets: [{ name: 'a', healthurl: 'http://127.0.0.1:1/' }, { name: 'a' }] }));
    const problems = problemsOf({ MEDIC_TARGETS_FILE: file });
    expect(problems).toContain(`${file} targets[0]: unknown key 'healthurl': did you mean 'healthUrl'?`);
    expect(problems).toContain(`target name 'a' is used twice: names must be unique`);
  });

  it('documents every variable it reads in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const v of CONFIG_VARIABLES) expect(example, v.name).toMatch(new RegExp(`^${v.name}=`, 'm'));
  });
});
