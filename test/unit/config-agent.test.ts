import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_ONLY_COMMANDS } from '../../src/agent/policy.js';
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

const agentOf = (env: NodeJS.ProcessEnv) => loadConfig({ HOME, ...env }, '/srv').agent;

describe('loadConfig: AGENT_*', () => {
  it('defaults to auto, claude, the default read-only prefixes and no own config dir', () => {
    expect(agentOf({})).toEqual({
      enabled: 'auto',
      command: 'claude',
      args: [],
      timeoutMs: 600_000,
      idleTimeoutMs: 120_000,
      approvalTimeoutMs: 300_000,
      autoAllow: [...DEFAULT_READ_ONLY_COMMANDS],
      configDir: null,
      sandbox: 'auto',
    });
  });

  it('lists every AGENT_ variable among the documented ones', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name).filter((n) => n.startsWith('AGENT_'));
    expect(names.sort()).toEqual(
      [
        'AGENT_ENABLED',
        'AGENT_COMMAND',
        'AGENT_ARGS',
        'AGENT_TIMEOUT_MS',
        'AGENT_IDLE_TIMEOUT_MS',
        'AGENT_APPROVAL_TIMEOUT_MS',
        'AGENT_AUTO_ALLOW',
        'AGENT_CONFIG_DIR',
        'AGENT_SANDBOX',
      ].sort(),
    );
  });

  it('reads the command, the timeouts and AGENT_ARGS split on whitespace', () => {
    const a = agentOf({
      AGENT_ENABLED: 'false',
      AGENT_COMMAND: '/opt/claude/bin/claude',
      AGENT_ARGS: '  --model   claude-sonnet-4-5\t--verbose ',
      AGENT_TIMEOUT_MS: '900000',
      AGENT_IDLE_TIMEOUT_MS: '60000',
      AGENT_APPROVAL_TIMEOUT_MS: '120000',
    });
    expect(a).toMatchObject({
      enabled: 'false',
      command: '/opt/claude/bin/claude',
      args: ['--model', 'claude-sonnet-4-5', '--verbose'],
      timeoutMs: 900_000,
      idleTimeoutMs: 60_000,
      approvalTimeoutMs: 120_000,
    });
  });

  it('reads AGENT_AUTO_ALLOW: none, default, default plus more, or a custom list', () => {
    expect(agentOf({ AGENT_AUTO_ALLOW: 'none' }).autoAllow).toEqual([]);
    expect(agentOf({ AGENT_AUTO_ALLOW: 'default' }).autoAllow).toEqual([...DEFAULT_READ_ONLY_COMMANDS]);
    expect(agentOf({ AGENT_AUTO_ALLOW: 'default,docker ps' }).autoAllow).toEqual([...DEFAULT_READ_ONLY_COMMANDS, 'docker ps']);
    expect(agentOf({ AGENT_AUTO_ALLOW: 'cat, ls -la' }).autoAllow).toEqual(['cat', 'ls -la']);
  });

  it('expands ~ in AGENT_CONFIG_DIR and resolves a relative one against cwd', () => {
    expect(agentOf({ AGENT_CONFIG_DIR: '~/.clawmedic/claude' }).configDir).toBe('/home/op/.clawmedic/claude');
    expect(agentOf({ AGENT_CONFIG_DIR: 'agent-config' }).configDir).toBe('/srv/agent-config');
    expect(agentOf({ AGENT_CONFIG_DIR: '/var/lib/clawmedic/claude' }).configDir).toBe('/var/lib/clawmedic/claude');
  });

  it('refuses an approval timeout that is not below the session timeout, naming both', () => {
    const problems = problemsOf({ AGENT_TIMEOUT_MS: '300000', AGENT_APPROVAL_TIMEOUT_MS: '300000' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^AGENT_APPROVAL_TIMEOUT_MS \(300000\) must be below AGENT_TIMEOUT_MS \(300000\)/);

    const above = problemsOf({ AGENT_APPROVAL_TIMEOUT_MS: '700000' });
    expect(above).toHaveLength(1);
    expect(above[0]).toContain('AGENT_APPROVAL_TIMEOUT_MS (700000) must be below AGENT_TIMEOUT_MS (600000)');

    expect(agentOf({ AGENT_TIMEOUT_MS: '300001', AGENT_APPROVAL_TIMEOUT_MS: '300000' }).approvalTimeoutMs).toBe(300_000);
  });

  it('refuses AGENT_ENABLED=true without ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN', () => {
    const problems = problemsOf({ AGENT_ENABLED: 'true' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^AGENT_ENABLED is true but none of ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set/);
    expect(agentOf({ AGENT_ENABLED: 'true', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-x' }).enabled).toBe('true');

    expect(agentOf({ AGENT_ENABLED: 'true', ANTHROPIC_API_KEY: 'sk-test' }).enabled).toBe('true');
    expect(agentOf({ AGENT_ENABLED: 'true', ANTHROPIC_AUTH_TOKEN: 'tok' }).enabled).toBe('true');
  });

  it('lists the allowed values of an invalid AGENT_ENABLED', () => {
    const problems = problemsOf({ AGENT_ENABLED: 'yes' });
    expect(problems).toEqual(["AGENT_ENABLED must be one of auto, true, false (got 'yes'): fix AGENT_ENABLED in .env, see .env.example"]);
  });

  it('reads AGENT_SANDBOX and says how to fix an invalid one', () => {
    expect(agentOf({ AGENT_SANDBOX: 'required' }).sandbox).toBe('required');
    expect(agentOf({ AGENT_SANDBOX: 'off' }).sandbox).toBe('off');
    expect(problemsOf({ AGENT_SANDBOX: 'no' })).toEqual(["AGENT_SANDBOX must be one of auto, required, off (got 'no'): fix AGENT_SANDBOX in .env, see .env.example"]);
  });

  it('refuses timeouts below their minimum or not numbers', () => {
    const problems = problemsOf({ AGENT_TIMEOUT_MS: '5000', AGENT_IDLE_TIMEOUT_MS: 'soon' });
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('AGENT_TIMEOUT_MS'))).toContain("must be at least 10000 (got '5000')");
    expect(problems.find((p) => p.startsWith('AGENT_IDLE_TIMEOUT_MS'))).toContain("(got 'soon')");
  });
});
