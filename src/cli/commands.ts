/**
 * Every `clawmedic` command, its synopsis and its options: one table that `--help`, the
 * argument parser and the README test read. Each bad argument becomes a `UsageError`: one
 * line that says what is wrong and the valid form (exit 2).
 */
import { parseArgs } from 'node:util';

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

export interface CommandSpec {
  name: string;
  /** What follows `clawmedic` in the help, e.g. `pause <target> [--minutes N] [--json]`. */
  synopsis: string;
  summary: string[];
  /** `target`: exactly one name; `target-id`: a name and optionally an id; `optional`: zero or one; `id`: exactly one incident id; `none`: no positional argument. */
  args: 'target' | 'target-id' | 'optional' | 'id' | 'none';
  options: Record<string, OptionSpec>;
  /** Talks to a running medic: takes `--url` and `--data-dir` to choose it. */
  api: boolean;
  /** Parsed by its own module (`src/deploy`): only listed here. */
  delegated?: boolean;
}

const json: Record<string, OptionSpec> = { json: { type: 'boolean' } };
const note: Record<string, OptionSpec> = { note: { type: 'string' } };
const choose = '[--url URL | --data-dir DIR]';

export const COMMANDS: CommandSpec[] = [
  { name: 'run', synopsis: 'run', summary: ['run the medic in the foreground (what npm start runs)'], args: 'none', options: {}, api: false },
  { name: 'demo', synopsis: 'demo', summary: ['a bundled demo gateway under the medic, broken on purpose'], args: 'none', options: {}, api: false },
  {
    name: 'status',
    synopsis: 'status [--json]',
    summary: ['health, pid, uptime, restarts, last probe and incident of every target'],
    args: 'none',
    options: json,
    api: true,
  },
  {
    name: 'incidents',
    synopsis: 'incidents [ID] [--limit N] [--json]',
    summary: ['recent incidents, or one with its timeline'],
    args: 'optional',
    options: { ...json, limit: { type: 'string' } },
    api: true,
  },
  {
    name: 'postmortem',
    synopsis: 'postmortem <ID> [--out FILE] [--json]',
    summary: ['a Markdown postmortem of an incident: summary, times, timeline,', 'what each level tried, evidence, follow-ups (--out: into FILE)'],
    args: 'id',
    options: { ...json, out: { type: 'string' } },
    api: true,
  },
  {
    name: 'digest',
    synopsis: 'digest [--days N] [--json]',
    summary: ['the incidents of the last N days (default 7): counts by failure', 'class, time to recover, top causes'],
    args: 'none',
    options: { ...json, days: { type: 'string' } },
    api: true,
  },
  {
    name: 'recover',
    synopsis: 'recover <target> --level N [--note TEXT] [--json]',
    summary: ['run a ladder level by hand: 0/1 restart, 2 repair, 3 AI agent, 4 a human'],
    args: 'target',
    options: { ...json, ...note, level: { type: 'string' } },
    api: true,
  },
  {
    name: 'approve',
    synopsis: 'approve <target> <question-id> [--deny] [--for-incident] [--json]',
    summary: [
      'answer that question (a port holder, a config restore, an AI',
      "agent's action; --for-incident: its later actions too); without",
      'an id, shows the open question and its id',
    ],
    args: 'target-id',
    options: { ...json, deny: { type: 'boolean' }, 'for-incident': { type: 'boolean' } },
    api: true,
  },
  {
    name: 'abort',
    synopsis: 'abort <target> [--note TEXT] [--json]',
    summary: ['close the open incident as aborted (ends the agent);', 'automatic actions stay paused until resume'],
    args: 'target',
    options: { ...json, ...note },
    api: true,
  },
  {
    name: 'pause',
    synopsis: 'pause <target> [--minutes N] [--json]',
    summary: ['maintenance: watch but do not act, for N minutes or until resume'],
    args: 'target',
    options: { ...json, minutes: { type: 'string' } },
    api: true,
  },
  { name: 'resume', synopsis: 'resume <target> [--json]', summary: ['act again after pause or abort'], args: 'target', options: json, api: true },
  {
    name: 'dashboard',
    synopsis: 'dashboard [--name NAME] [--json]',
    summary: ['a one-time sign-in link to the live web dashboard', '(one sign-in, within 5 min; audited as dashboard:NAME)'],
    args: 'none',
    options: { ...json, name: { type: 'string' } },
    api: true,
  },
  {
    name: 'check-config',
    synopsis: 'check-config [--json]',
    summary: ['validate the configuration and say what the medic will do', '(--json: every setting)'],
    args: 'none',
    options: json,
    api: false,
  },
  {
    name: 'deploy-commands',
    synopsis: 'deploy-commands [--global]',
    summary: ['register the Discord slash commands (guild-scoped by default)'],
    args: 'none',
    options: { global: { type: 'boolean' } },
    api: false,
  },
  {
    name: 'fleet',
    synopsis: 'fleet forget <host>',
    summary: ['fleet mode: retire a host for good (stopped first); frees its', 'target names, closes its "host lost" incident; audited'],
    args: 'target-id',
    options: {},
    api: false,
  },
  {
    name: 'install',
    synopsis: 'install --systemd|--launchd [--dry-run] [--env-file PATH] [--gateway-command CMD]',
    summary: ['run the gateway, the medic and a guardian under systemd/launchd'],
    args: 'none',
    options: {},
    api: false,
    delegated: true,
  },
  {
    name: 'uninstall',
    synopsis: 'uninstall --systemd|--launchd [--dry-run]',
    summary: ['remove the units clawmedic installed (never one it did not write)'],
    args: 'none',
    options: {},
    api: false,
    delegated: true,
  },
  {
    name: 'guardian',
    synopsis: 'guardian --once [--systemd|--launchd]',
    summary: ['one guardian pass (its timer runs it every 60 s)'],
    args: 'none',
    options: {},
    api: false,
    delegated: true,
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** A bad command line; the message is one line with the valid form. Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `clawmedic pause: --minutes must be ... (got 'soon'). Usage: clawmedic pause <target> ...` */
export function usageError(spec: CommandSpec, problem: string): UsageError {
  return new UsageError(`clawmedic ${spec.name}: ${problem}. Usage: ${usageLine(spec)}`);
}

export function usageLine(spec: CommandSpec): string {
  return `clawmedic ${spec.synopsis}${spec.api ? ` ${choose}` : ''}`;
}

const HELP_WIDTH = 39;

/** `clawmedic --help`. */
export function renderHelp(): string {
  const lines = COMMANDS.flatMap((c) => {
    const head = `  clawmedic ${c.synopsis}`;
    const [first, ...rest] = c.summary;
    const pad = ' '.repeat(HELP_WIDTH + 2);
    if (head.length < HELP_WIDTH + 1) return [`${head.padEnd(HELP_WIDTH + 2)}${first}`, ...rest.map((r) => pad + r)];
    return [head, ...c.summary.map((r) => pad + r)];
  });
  return `clawmedic: keeps an OpenClaw gateway alive

Usage:
${lines.join('\n')}
  clawmedic --version | -v               print the version

Commands that talk to a running medic find it by itself (each medic announces where it listens in
~/.clawmedic/run/); with several running, choose one: ${choose}.
--json prints the medic's answer as JSON for scripts. Times are the host's local time with their zone.
Configuration comes from the environment and .env (see .env.example); MEDIC_ENV_FILE names another file.
Exit codes: 0 ok, 1 failure (medic unreachable, request refused), 2 bad configuration or usage.`;
}

export interface ParsedCommand {
  spec: CommandSpec;
  /** The positional argument (a target or an incident id). */
  arg: string | undefined;
  /** The second one, for `target-id` commands (a question's id). */
  id: string | undefined;
  values: Record<string, string | boolean | undefined>;
  help: boolean;
}

const shared: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h' } };
const apiOptions: Record<string, OptionSpec> = { url: { type: 'string' }, 'data-dir': { type: 'string' } };

/**
 * Parses `argv` (the command name first) against the command's options. A value that starts
 * with a dash (`--minutes -3`) is taken as the value, so that its check can say what is wrong
 * with it, rather than being read as an unknown option.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): ParsedCommand {
  const options = { ...shared, ...spec.options, ...(spec.api ? apiOptions : {}) };
  const fail = (problem: string): never => {
    throw usageError(spec, problem);
  };
  const args: string[] = [];
  const rest = argv.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--') {
      args.push(...rest.slice(i));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const [flag, inline] = a.startsWith('--') ? splitInline(a) : [a, undefined];
    const name = flag.startsWith('--') ? flag.slice(2) : Object.keys(options).find((k) => options[k]!.short === flag.slice(1));
    const opt = name === undefined ? undefined : options[name];
    if (!opt || name === undefined) return fail(`unknown option ${flag}`);
    if (opt.type === 'boolean') {
      if (inline !== undefined) return fail(`${flag} takes no value`);
      args.push(`--${name}`);
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined) return fail(`${flag} needs a value`);
    args.push(`--${name}=${value}`);
  }
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
  const help = values.help === true;
  if (!help) {
    if (spec.args === 'none' && positionals.length) fail(`takes no argument (got '${positionals.join(' ')}')`);
    if (spec.args === 'target-id' && positionals.length > 2) fail(`takes a target and a question id (got '${positionals.join(' ')}')`);
    if (spec.args !== 'none' && spec.args !== 'target-id' && positionals.length > 1) {
      fail(`takes one ${spec.args === 'target' ? 'target' : 'ID'} (got '${positionals.join(' ')}')`);
    }
    if ((spec.args === 'target' || spec.args === 'target-id') && !positionals[0]) fail('needs a target name (the names are in clawmedic status)');
    if (spec.args === 'id' && !positionals[0]) fail('needs an incident id (the ids are in clawmedic incidents)');
  }
  return { spec, arg: positionals[0], id: positionals[1], values: values as ParsedCommand['values'], help };
}

function splitInline(a: string): [string, string | undefined] {
  const eq = a.indexOf('=');
  return eq === -1 ? [a, undefined] : [a.slice(0, eq), a.slice(eq + 1)];
}

/** A whole number in [min, max], or a `UsageError` naming the option and the rule. */
export function wholeNumber(spec: CommandSpec, option: string, raw: string, min: number, max: number, unit: string): number {
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(spec, `--${option} must be a whole number of ${unit} from ${min} to ${max} (got '${raw}')`);
  }
  return n;
}
