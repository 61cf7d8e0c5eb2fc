import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_SCRIPT, agentAvailability, agentSummary, resolveAgentCommand } from '../../../src/agent/setup.js';
import type { AgentConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const OWN_CLAUDE = fileURLToPath(new URL('../../../node_modules/.bin/claude', import.meta.url));
const MISSING = 'clawmedic-test-no-such-agent';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cm-setup-'));
  dirs.push(dir);
  return dir;
}

function file(dir: string, name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho fake agent\n');
  chmodSync(path, mode);
  return path;
}

function agent(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    enabled: 'auto',
    command: 'claude',
    args: [],
    timeoutMs: 600_000,
    idleTimeoutMs: 120_000,
    approvalTimeoutMs: 300_000,
    autoAllow: ['cat'],
    configDir: null,
    sandbox: 'auto',
    ...overrides,
  };
}

describe('HOOK_SCRIPT', () => {
  it('is the hook command shipped in bin/', () => {
    expect(HOOK_SCRIPT).toBe(fileURLToPath(new URL('../../../bin/clawmedic-agent-hook.mjs', import.meta.url)));
    expect(existsSync(HOOK_SCRIPT)).toBe(true);
  });
});

describe('resolveAgentCommand', () => {
  it('takes an absolute path as given when it is executable', () => {
    const dir = tempDir();
    const bin = file(dir, 'my-claude', 0o755);
    expect(resolveAgentCommand(bin, { PATH: '' })).toBe(bin);
  });

  it('resolves a relative path against cwd', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'tools'));
    const bin = file(join(dir, 'tools'), 'my-claude', 0o755);
    expect(resolveAgentCommand('./tools/my-claude', { PATH: '' }, dir)).toBe(bin);
    expect(resolveAgentCommand('tools/my-claude', { PATH: '' }, dir)).toBe(bin);
    expect(resolveAgentCommand('./tools/my-claude', { PATH: '' }, tmpdir())).toBeNull();
  });

  it('does not look a path up in PATH', () => {
    const dir = tempDir();
    file(dir, 'my-claude', 0o755);
    expect(resolveAgentCommand('./my-claude', { PATH: dir }, tempDir())).toBeNull();
  });

  it('finds a bare name in the PATH of the env it is given, first dir first', () => {
    const empty = tempDir();
    const first = tempDir();
    const second = tempDir();
    const bin = file(first, 'fake-agent', 0o755);
    file(second, 'fake-agent', 0o755);
    expect(resolveAgentCommand('fake-agent', { PATH: [empty, first, second].join(delimiter) })).toBe(bin);
    expect(resolveAgentCommand('fake-agent', { PATH: [empty, second, first].join(delimiter) })).toBe(join(second, 'fake-agent'));
  });

  it('gives null when the name is nowhere', () => {
    expect(resolveAgentCommand(MISSING, { PATH: tempDir() })).toBeNull();
    expect(resolveAgentCommand(`/nonexistent-${MISSING}/claude`, { PATH: '' })).toBeNull();
  });

  it('does not take a file that is not executable', () => {
    const dir = tempDir();
    const plain = file(dir, 'fake-agent', 0o644);
    expect(resolveAgentCommand('fake-agent', { PATH: dir })).toBeNull();
    expect(resolveAgentCommand(plain, { PATH: '' })).toBeNull();
  });

  it("falls back to the package's own node_modules/.bin/claude when PATH has none", () => {
    expect(existsSync(OWN_CLAUDE)).toBe(true);
    expect(resolveAgentCommand('claude', { PATH: '' })).toBe(OWN_CLAUDE);
    expect(resolveAgentCommand('claude', {})).toBe(OWN_CLAUDE);
  });

  it('prefers a claude in PATH over its own copy', () => {
    const dir = tempDir();
    const bin = file(dir, 'claude', 0o755);
    expect(resolveAgentCommand('claude', { PATH: dir })).toBe(bin);
  });
});

describe('agentAvailability', () => {
  function withAgent(): { dir: string; bin: string } {
    const dir = tempDir();
    return { dir, bin: file(dir, 'fake-agent', 0o755) };
  }

  it('is off when AGENT_ENABLED is false, whatever else is set', () => {
    const { dir } = withAgent();
    expect(agentAvailability(agent({ enabled: 'false', command: 'fake-agent' }), { PATH: dir, ANTHROPIC_API_KEY: 'k' })).toEqual({
      enabled: false,
      why: 'AGENT_ENABLED=false',
    });
  });

  it('is off in auto mode without credentials, saying so', () => {
    const { dir } = withAgent();
    expect(agentAvailability(agent({ command: 'fake-agent' }), { PATH: dir })).toEqual({
      enabled: false,
      why: 'none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set',
    });
  });

  it('is off in auto mode when the command is not found, saying so', () => {
    expect(agentAvailability(agent({ command: MISSING }), { PATH: tempDir(), ANTHROPIC_API_KEY: 'k' })).toEqual({
      enabled: false,
      why: `AGENT_COMMAND '${MISSING}' was not found (in PATH or clawmedic's node_modules/.bin)`,
    });
  });

  it('is on in auto mode with any one credential and the command, saying which credential it uses', () => {
    const { dir, bin } = withAgent();
    const on = (env: NodeJS.ProcessEnv) => agentAvailability(agent({ command: 'fake-agent' }), { PATH: dir, ...env });
    expect(on({ ANTHROPIC_API_KEY: 'sk-test' })).toEqual({ enabled: true, command: bin, credential: 'ANTHROPIC_API_KEY' });
    expect(on({ ANTHROPIC_AUTH_TOKEN: 'tok' })).toEqual({ enabled: true, command: bin, credential: 'ANTHROPIC_AUTH_TOKEN' });
    expect(on({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x' })).toEqual({ enabled: true, command: bin, credential: 'CLAUDE_CODE_OAUTH_TOKEN' });
    // One credential is passed on: the API key first, then the auth token, then the subscription token.
    expect(on({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x', ANTHROPIC_API_KEY: 'sk-test' })).toMatchObject({ credential: 'ANTHROPIC_API_KEY' });
    expect(on({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x', ANTHROPIC_AUTH_TOKEN: 'tok' })).toMatchObject({ credential: 'ANTHROPIC_AUTH_TOKEN' });
    expect(on({ CLAUDE_CODE_OAUTH_TOKEN: '  ' })).toMatchObject({ enabled: false });
  });

  it('is on when AGENT_ENABLED is true and everything is there', () => {
    const { dir, bin } = withAgent();
    expect(agentAvailability(agent({ enabled: 'true', command: 'fake-agent' }), { PATH: dir, ANTHROPIC_API_KEY: 'sk-test' })).toEqual({
      enabled: true,
      command: bin,
      credential: 'ANTHROPIC_API_KEY',
    });
  });

  function configError(run: () => unknown): ConfigError {
    try {
      run();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  it('throws a ConfigError naming the missing credentials when AGENT_ENABLED is true', () => {
    const { dir } = withAgent();
    const err = configError(() => agentAvailability(agent({ enabled: 'true', command: 'fake-agent' }), { PATH: dir }));
    expect(err.problems).toEqual([
      'AGENT_ENABLED is true but none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set: fix it in .env, or set AGENT_ENABLED=auto',
    ]);
    expect(err.message).toContain('none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set');
  });

  it('throws a ConfigError naming the missing command when AGENT_ENABLED is true', () => {
    const err = configError(() => agentAvailability(agent({ enabled: 'true', command: MISSING }), { PATH: tempDir(), ANTHROPIC_API_KEY: 'k' }));
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain(`AGENT_COMMAND '${MISSING}' was not found`);
    expect(err.message).toContain('AGENT_ENABLED=auto');
  });
});

describe('agentSummary (clawmedic check-config)', () => {
  it('says which CLI and which credential level 3 will use, or why it is off', () => {
    const dir = tempDir();
    const bin = file(dir, 'fake-agent', 0o755);
    const summary = (env: NodeJS.ProcessEnv) => agentSummary(agent({ command: 'fake-agent' }), { PATH: dir, ...env });
    expect(summary({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-secret-value' })).toBe(
      `level 3 (AI agent): on: ${bin}, credential CLAUDE_CODE_OAUTH_TOKEN (a Claude subscription token (claude setup-token))`,
    );
    expect(summary({ ANTHROPIC_API_KEY: 'sk-test-secret' })).toBe(`level 3 (AI agent): on: ${bin}, credential ANTHROPIC_API_KEY (an Anthropic API key)`);
    expect(summary({})).toBe('level 3 (AI agent): off: none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set');
    expect(summary({ CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-secret-value' })).not.toContain('secret-value');
  });
});
