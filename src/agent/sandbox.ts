/**
 * The OS sandbox around the agent's commands: Claude Code's own (bubblewrap + socat on Linux,
 * Seatbelt on macOS), configured through its settings.json. Measured with 2.1.197 (bwrap 0.8):
 * denied paths read as missing, writes outside the workspace and the allowed folders fail
 * ("Read-only file system"), commands get no network at all (not even 127.0.0.1), denied
 * variables are unset, and /proc shows only the sandbox's own processes.
 *
 * AGENT_SANDBOX: `auto` uses it when it can run and otherwise says so and asks for every tool
 * call; `required` refuses to start level 3 without it; `off` is the operator's explicit choice
 * to run the agent unsandboxed with the policy alone.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { findExecutable, isExecutableFile, pathEntries } from '../lib/executable.js';
import type { Logger } from '../recovery/ports.js';

export type SandboxMode = 'auto' | 'required' | 'off';

export type SandboxCheck = { ok: true } | { ok: false; why: string };

/** Variables the agent's commands never see (the CLI itself keeps them). */
export const DENIED_VARIABLES = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'CLAWMEDIC_HOOK_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

/** Under the home directory: credential stores and shell history. */
const HOME_SECRETS = [
  '.ssh', '.gnupg', '.aws', '.kube', '.docker', '.config/gcloud', '.password-store', '.netrc', '.git-credentials', '.npmrc', '.pypirc',
  '.pgpass', '.claude', '.claude.json', '.bash_history', '.zsh_history', '.zhistory', '.histfile', '.sh_history', '.local/share/fish',
  '.python_history', '.node_repl_history', '.psql_history', '.mysql_history', '.sqlite_history', '.lesshst', '.viminfo',
];

export interface SandboxPlaces {
  home: string;
  /** MEDIC_DATA_DIR: everything in it is hidden except the agent's workspaces and temp folder. */
  dataDir: string;
  /** The folder the per-incident workspaces are made in (below dataDir). */
  workRoot: string;
  /** The CLI's temp folder (below dataDir). */
  tmpDir: string;
  /** Gateway config files: their folders stay readable and writable (a repair edits them). */
  configPaths: readonly string[];
  /** The medic's own .env, when it has one. */
  envFile: string | null;
  /** More to hide (the CLI's own config dir: its session logs keep what the agent saw). */
  hidden: readonly string[];
}

/** What the driver adds to the agent's settings and environment. */
export interface Containment {
  /** The settings.json fragment, made at each session start (the data dir's entries may have changed). */
  settings(): Record<string, unknown>;
  env: Record<string, string>;
}

export interface ContainmentPlan {
  containment: Containment;
  /** True when the OS sandbox is on, or the operator chose AGENT_SANDBOX=off: the policy may allow reads unasked. */
  policyMayAllow: boolean;
}

/**
 * Decides, once at start-up, how level 3 is contained, and says so in one log line.
 * AGENT_SANDBOX=required without a sandbox is a configuration error.
 */
export function planContainment(mode: SandboxMode, places: SandboxPlaces, env: NodeJS.ProcessEnv, log: Logger, check = () => checkSandbox(env)): ContainmentPlan {
  const shell = shellEnv(env);
  const shellNote = shell ? `commands run in ${shell.SHELL}` : 'bash was not found: every action is asked';
  if (mode === 'off') {
    log.warn(`level 3: AGENT_SANDBOX=off: the agent's commands run without an OS sandbox; read-only ones allowed by policy run unasked (${shellNote})`);
    return { containment: { settings: () => ({}), env: shell ?? {} }, policyMayAllow: shell !== null };
  }
  const found = check();
  if (!found.ok) {
    if (mode === 'required') {
      throw new ConfigError([`AGENT_SANDBOX is required but ${found.why}: install them, or set AGENT_SANDBOX=auto (every action asked) or off`]);
    }
    log.warn(`level 3: no OS sandbox for the agent (${found.why}): every action of the agent is asked, none runs unasked`);
    return { containment: { settings: () => ({}), env: shell ?? {} }, policyMayAllow: false };
  }
  log.info(`level 3: the agent's commands run in Claude Code's OS sandbox (no network, secrets hidden, writes only in its workspace and the gateway's config folder; ${shellNote})`);
  return { containment: { settings: () => ({ sandbox: sandboxSettings(places) }), env: shell ?? {} }, policyMayAllow: shell !== null };
}

/** Whether the sandbox can run here: its programs are installed and bubblewrap can make a namespace. */
export function checkSandbox(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): SandboxCheck {
  if (platform === 'darwin') return findInPath('sandbox-exec', env) ? { ok: true } : { ok: false, why: 'sandbox-exec (Seatbelt) was not found' };
  if (platform !== 'linux') return { ok: false, why: `Claude Code has no sandbox on ${platform}` };
  const missing = ['bwrap', 'socat'].filter((p) => !findInPath(p, env));
  if (missing.length) return { ok: false, why: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed (Debian/Ubuntu: apt-get install bubblewrap socat)` };
  const bwrap = findInPath('bwrap', env)!;
  const trial = spawnSync(bwrap, ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--', 'true'], { timeout: 10_000, encoding: 'utf8' });
  if (trial.status !== 0) {
    const said = (trial.stderr || trial.error?.message || `exit ${trial.status}`).trim().split('\n')[0];
    return { ok: false, why: `bubblewrap cannot create a sandbox here (${said}; user namespaces may be disabled)` };
  }
  return { ok: true };
}

/** The `sandbox` block of the CLI's settings.json. */
export function sandboxSettings(places: SandboxPlaces): Record<string, unknown> {
  const keep = new Set([places.workRoot, places.tmpDir, ...places.configPaths]);
  return {
    enabled: true,
    // The medic checked it can run; should it fail anyway, the CLI must stop, not run commands bare.
    failIfUnavailable: true,
    // Every command still goes to the medic's policy and, unless it is read-only, to a person.
    autoAllowBashIfSandboxed: false,
    allowUnsandboxedCommands: false,
    filesystem: {
      denyRead: [
        ...hiddenInside(places.dataDir, keep),
        ...HOME_SECRETS.map((p) => join(places.home, p)),
        ...(places.envFile ? [places.envFile] : []),
        ...gatewayUnits(places.home),
        ...places.hidden,
      ],
      allowWrite: [...new Set(places.configPaths.map((p) => dirname(p)))],
    },
    network: { allowedDomains: [] },
    credentials: { envVars: DENIED_VARIABLES.map((name) => ({ name, mode: 'deny' })) },
  };
}

/**
 * The agent's shell is bash, whatever SHELL says: the policy reads Bash, and zsh would give
 * `=(...)` and other forms a meaning. Claude Code takes CLAUDE_CODE_SHELL first (measured in
 * 2.1.197: a path containing "bash" or "zsh" that runs), then SHELL.
 */
export function shellEnv(env: NodeJS.ProcessEnv): Record<string, string> | null {
  const bash = findInPath('bash', env) ?? ['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash'].find(isExecutableFile) ?? null;
  return bash ? { SHELL: bash, CLAUDE_CODE_SHELL: bash } : null;
}

/**
 * The gateway's service units (systemd, launchd): they hold OPENCLAW_GATEWAY_TOKEN. Restarting
 * through systemctl or launchctl does not read them (the service manager does); repairs edit the config.
 */
export function gatewayUnits(home: string, roots = [join(home, '.config/systemd/user'), '/etc/systemd/system', join(home, 'Library/LaunchAgents')]): string[] {
  return roots.flatMap((dir) => {
    try {
      return readdirSync(dir).filter((name) => /^openclaw|^ai\.openclaw/.test(name)).map((name) => join(dir, name));
    } catch {
      return [];
    }
  });
}

/** Every entry of `dir` and of the folders on the way to the kept ones, except those kept. */
function hiddenInside(dir: string, keep: Set<string>): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (keep.has(path)) return [];
    if ([...keep].some((k) => k.startsWith(`${path}/`))) return hiddenInside(path, keep);
    return [path];
  });
}

function findInPath(program: string, env: NodeJS.ProcessEnv): string | null {
  return findExecutable(program, pathEntries(env.PATH));
}
