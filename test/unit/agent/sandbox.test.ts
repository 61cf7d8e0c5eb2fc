import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSandbox, DENIED_VARIABLES, planContainment, sandboxSettings, shellEnv, type SandboxPlaces } from '../../../src/agent/sandbox.js';
import { ConfigError } from '../../../src/errors.js';
import { captureLogger } from '../../fixtures/gateways.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A data dir as the medic leaves it: its token, store, known-good copies, and the agent's folders. */
function world(): SandboxPlaces {
  const root = mkdtempSync(join(tmpdir(), 'cm-sandbox-'));
  dirs.push(root);
  const dataDir = join(root, 'medic');
  for (const d of ['agent/work', 'agent/tmp', 'agent/claude-config', 'agent/transcripts', 'known-good']) mkdirSync(join(dataDir, d), { recursive: true });
  writeFileSync(join(dataDir, 'api-token'), 'x');
  writeFileSync(join(dataDir, 'store.sqlite'), 'x');
  return {
    home: join(root, 'home'),
    dataDir,
    workRoot: join(dataDir, 'agent', 'work'),
    tmpDir: join(dataDir, 'agent', 'tmp'),
    configPaths: [join(root, 'home', '.openclaw', 'openclaw.json')],
    envFile: join(root, '.env'),
    hidden: ['/opt/claude-config'],
  };
}

describe('sandboxSettings', () => {
  it("hides the medic's data (all but the agent's workspaces and temp folder), secrets at home, the .env; no network; never unsandboxed, never auto-allowed", () => {
    const p = world();
    const s = sandboxSettings(p) as any;
    expect(s).toMatchObject({ enabled: true, failIfUnavailable: true, autoAllowBashIfSandboxed: false, allowUnsandboxedCommands: false, network: { allowedDomains: [] } });
    const denied: string[] = s.filesystem.denyRead;
    for (const hidden of ['api-token', 'store.sqlite', 'known-good', 'agent/claude-config', 'agent/transcripts']) expect(denied).toContain(join(p.dataDir, hidden));
    expect(denied).not.toContain(p.workRoot);
    expect(denied).not.toContain(p.tmpDir);
    expect(denied).not.toContain(p.dataDir); // bwrap cannot mount the workspace inside a hidden folder (measured)
    expect(denied).not.toContain(join(p.dataDir, 'agent'));
    for (const home of ['.ssh', '.bash_history', '.zsh_history', '.aws', '.claude']) expect(denied).toContain(join(p.home, home));
    expect(denied).toContain(p.envFile);
    expect(denied).toContain('/opt/claude-config');
    expect(s.filesystem.allowWrite).toEqual([join(p.home, '.openclaw')]);
    expect(s.credentials.envVars.map((v: { name: string }) => v.name)).toEqual(DENIED_VARIABLES);
    expect(DENIED_VARIABLES).toEqual(expect.arrayContaining(['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAWMEDIC_HOOK_TOKEN']));
  });

  it('keeps a gateway config that lives in the data dir readable (a repair edits it)', () => {
    const p = world();
    const inside = join(p.dataDir, 'gateway', 'openclaw.json');
    mkdirSync(join(p.dataDir, 'gateway'));
    writeFileSync(inside, '{}');
    writeFileSync(join(p.dataDir, 'gateway', 'secret.txt'), 'x');
    const denied: string[] = (sandboxSettings({ ...p, configPaths: [inside] }) as any).filesystem.denyRead;
    expect(denied).not.toContain(inside);
    expect(denied).toContain(join(p.dataDir, 'gateway', 'secret.txt'));
  });

  it("hides the gateway's service units (they hold its token), and only those", () => {
    const p = world();
    const units = join(p.home, '.config', 'systemd', 'user');
    const agents = join(p.home, 'Library', 'LaunchAgents');
    mkdirSync(units, { recursive: true });
    mkdirSync(agents, { recursive: true });
    for (const f of [join(units, 'openclaw-gateway.service'), join(units, 'other.service'), join(agents, 'ai.openclaw.gateway.plist')]) writeFileSync(f, 'x');
    const denied: string[] = (sandboxSettings(p) as any).filesystem.denyRead;
    expect(denied).toContain(join(units, 'openclaw-gateway.service'));
    expect(denied).toContain(join(agents, 'ai.openclaw.gateway.plist'));
    expect(denied).not.toContain(join(units, 'other.service'));
    expect(denied).not.toContain(units);
  });
});

describe('shellEnv', () => {
  it('is bash whatever SHELL says (zsh would give =(...) a meaning)', () => {
    const env = shellEnv({ PATH: process.env.PATH ?? '/usr/bin:/bin', SHELL: '/bin/zsh' });
    expect(env?.SHELL).toMatch(/\/bash$/);
    expect(env?.CLAUDE_CODE_SHELL).toBe(env?.SHELL);
  });
});

describe('checkSandbox', () => {
  it('says what to install when bubblewrap or socat is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'cm-nopath-'));
    dirs.push(empty);
    expect(checkSandbox({ PATH: empty }, 'linux')).toEqual({ ok: false, why: 'bwrap and socat are not installed (Debian/Ubuntu: apt-get install bubblewrap socat)' });
    expect(checkSandbox({ PATH: empty }, 'win32')).toEqual({ ok: false, why: 'Claude Code has no sandbox on win32' });
  });
});

describe('planContainment', () => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const missing = () => ({ ok: false as const, why: 'bwrap is not installed' });
  const found = () => ({ ok: true as const });

  it('auto with a sandbox: the settings carry it, the policy may allow reads, one log line says so', () => {
    const log = captureLogger();
    const plan = planContainment('auto', world(), env, log, found);
    expect(plan.policyMayAllow).toBe(true);
    expect(plan.containment.settings()).toHaveProperty('sandbox.enabled', true);
    expect(plan.containment.env.SHELL).toMatch(/bash$/);
    expect(log.entries).toEqual([{ level: 'info', msg: expect.stringMatching(/^level 3: the agent's commands run in Claude Code's OS sandbox/), fields: undefined }]);
  });

  it('auto without one: no sandbox settings, every action asked, one warning says why', () => {
    const log = captureLogger();
    const plan = planContainment('auto', world(), env, log, missing);
    expect(plan.policyMayAllow).toBe(false);
    expect(plan.containment.settings()).toEqual({});
    expect(log.entries).toEqual([{ level: 'warn', msg: 'level 3: no OS sandbox for the agent (bwrap is not installed): every action of the agent is asked, none runs unasked', fields: undefined }]);
  });

  it('required without one is a configuration error with a fix', () => {
    expect(() => planContainment('required', world(), env, captureLogger(), missing)).toThrow(ConfigError);
    expect(() => planContainment('required', world(), env, captureLogger(), missing)).toThrow(/AGENT_SANDBOX is required but bwrap is not installed: install them, or set AGENT_SANDBOX=auto/);
  });

  it('off is the operator choosing no sandbox: the policy alone, said as a warning', () => {
    const log = captureLogger();
    const plan = planContainment('off', world(), env, log, () => {
      throw new Error('off must not even check');
    });
    expect(plan.policyMayAllow).toBe(true);
    expect(plan.containment.settings()).toEqual({});
    expect(log.entries).toEqual([{ level: 'warn', msg: expect.stringMatching(/^level 3: AGENT_SANDBOX=off/), fields: undefined }]);
  });
});
