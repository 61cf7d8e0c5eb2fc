/**
 * Which of the AI agent's tool calls run without asking a person: read-only diagnostics that
 * expose no secret. Everything else (writes, restarts, kills, installs, anything unprovable) is an
 * operator's decision.
 *
 * A Bash command is read with a real shell parser (policy/shell.ts) into its simple commands;
 * it runs unasked only when every one of them starts with an allowed prefix (whole words:
 * `openclaw config validate` allows `openclaw config validate --json`, not `openclaw config set`),
 * uses only the options on that command's read-only list (policy/options.ts), and names no place
 * that holds secrets (policy/secrets.ts). The whole command is read; one longer than
 * MAX_POLICY_COMMAND is always a question.
 */
import { homedir } from 'node:os';
import { OPTION_SPECS, optionProblem } from './policy/options.js';
import { SecretGuard, type SecretPlaces, type SecretRead } from './policy/secrets.js';
import { readCommandLine } from './policy/shell.js';

export type { SecretPlaces, SecretRead } from './policy/secrets.js';

/** The default prefixes of AGENT_AUTO_ALLOW. */
export const DEFAULT_READ_ONLY_COMMANDS: readonly string[] = [
  'cat',
  'head',
  'tail',
  'ls',
  'stat',
  'file',
  'wc',
  'grep',
  'pwd',
  'whoami',
  'id',
  'uptime',
  'df',
  'du',
  'free',
  'ps',
  'pgrep',
  'lsof',
  'ss',
  'netstat',
  'which',
  'jq',
  'journalctl',
  'systemctl status',
  'systemctl --user status',
  'systemctl is-active',
  'systemctl --user is-active',
  'launchctl list',
  'openclaw config validate',
  'openclaw config get',
  'openclaw status',
  'openclaw health',
  'openclaw --version',
  'npm ls',
  'node --version',
];

/** Longer commands are asked, never allowed: a person can still read them, a check might miss something. */
export const MAX_POLICY_COMMAND = 2_000;

/** Claude Code's own tools that only read (the path they read is still checked for secrets). */
const READ_ONLY_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS', 'NotebookRead', 'TodoWrite']);
/** Tools that read whole trees: a folder above a secret counts. */
const TREE_TOOLS = new Set(['Glob', 'Grep']);

export type AutoAllow = (tool: string, command: string) => boolean;

export interface ToolVerdict {
  allow: boolean;
  /** Why it is not allowed unasked (empty when allowed). */
  why: string;
  /** A secret the call would expose, if any. */
  secret: SecretRead | null;
}

/** The policy: an AutoAllow for the ladder, and the verdict with its reasons. */
export interface AgentPolicy extends AutoAllow {
  examine(tool: string, command: string): ToolVerdict;
}

/**
 * The policy from AGENT_AUTO_ALLOW's prefixes; an empty list allows nothing by itself.
 * `places` says where the secrets are (the medic's data dir, the gateway configs, home).
 */
export function readOnlyPolicy(prefixes: readonly string[], places: SecretPlaces = { home: homedir(), dataDir: null, configPaths: [] }): AgentPolicy {
  const allowed = prefixes
    .map((p) => p.trim().split(/\s+/))
    .filter((words) => words[0])
    .sort((a, b) => b.length - a.length);
  const guard = new SecretGuard(places);
  const examine = (tool: string, command: string): ToolVerdict => {
    if (READ_ONLY_TOOLS.has(tool)) {
      const secret = toolPaths(command).map((p) => guard.path(p, TREE_TOOLS.has(tool))).find(Boolean) ?? null;
      if (secret) return { allow: false, why: `it would show ${secret.what}`, secret };
      return allowed.length ? { allow: true, why: '', secret: null } : { allow: false, why: 'AGENT_AUTO_ALLOW is none', secret: null };
    }
    if (tool !== 'Bash') return { allow: false, why: `${tool} is not a read-only tool`, secret: guard.text(command) };
    if (command.length > MAX_POLICY_COMMAND) {
      return { allow: false, why: `the command is ${command.length} characters long (over ${MAX_POLICY_COMMAND}: too long to check)`, secret: guard.text(command) };
    }
    const reading = readCommandLine(command, places.home);
    if (!reading.ok) {
      const secret = guard.text(command);
      const why = `the command cannot be checked without running it: ${reading.why}`;
      return { allow: false, why: secret ? `it would show ${secret.what}; ${why}` : why, secret };
    }
    const secrets = reading.commands.map((words) => guard.command(words)).filter((s): s is SecretRead => s !== null);
    const secret = secrets.find((s) => s.level === 'refuse') ?? secrets[0] ?? null;
    if (secret) return { allow: false, why: `it would show ${secret.what}`, secret };
    for (const words of reading.commands) {
      const prefix = allowed.find((p) => p.every((w, i) => words[i] === w));
      if (!prefix) return { allow: false, why: `${JSON.stringify(words[0])} is not on the read-only list`, secret: null };
      // An operator's narrower prefix (`journalctl -u openclaw-gateway`) keeps the options check of the command it extends.
      const specKey = specFor(prefix);
      const spec = specKey ? OPTION_SPECS[specKey] : undefined;
      const problem = spec ? optionProblem(prefix.join(' '), spec, words.slice(prefix.length)) : null;
      if (problem) return { allow: false, why: problem, secret: null };
    }
    return { allow: true, why: '', secret: null };
  };
  const policy = ((tool: string, command: string) => examine(tool, command).allow) as AgentPolicy;
  policy.examine = examine;
  return policy;
}

/** The longest OPTION_SPECS key whose words begin `prefix` (`journalctl` for `journalctl -u x`). */
function specFor(prefix: readonly string[]): string | null {
  for (let n = prefix.length; n > 0; n -= 1) {
    const key = prefix.slice(0, n).join(' ');
    if (Object.hasOwn(OPTION_SPECS, key)) return key;
  }
  return null;
}

/** A policy that allows nothing: every call is asked (level 3 without an OS sandbox). */
export function askEverythingPolicy(base: AgentPolicy): AgentPolicy {
  const examine = (tool: string, command: string): ToolVerdict => {
    const verdict = base.examine(tool, command);
    return { ...verdict, allow: false, why: verdict.why || 'no OS sandbox: every action of the agent is asked' };
  };
  const policy = (() => false) as unknown as AgentPolicy;
  policy.examine = examine;
  return policy;
}

/** The paths a read-only tool's input names: the input itself, or its path-like fields when it is JSON. */
function toolPaths(command: string): string[] {
  if (!command.startsWith('{')) return [command];
  try {
    const input = JSON.parse(command) as Record<string, unknown>;
    return ['file_path', 'path', 'notebook_path', 'pattern', 'glob']
      .map((k) => input[k])
      .filter((v): v is string => typeof v === 'string');
  } catch {
    return [command];
  }
}

/** Parses AGENT_AUTO_ALLOW: `default`, `none`, or comma-separated prefixes (`default` may be one of them). */
export function parseAutoAllow(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  return items.flatMap((item) => (item === 'default' ? DEFAULT_READ_ONLY_COMMANDS : [item]));
}
