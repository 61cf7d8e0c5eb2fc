/**
 * Which of the AI agent's tool calls run without asking a person: read-only diagnostics.
 * Everything else (writes, restarts, kills, installs) is an operator's decision.
 *
 * A Bash command is read-only when it has no redirection, substitution, background or
 * chaining, and every stage of its pipeline starts with an allowed prefix. Prefixes are
 * matched on whole words: `openclaw config validate` allows `openclaw config validate --json`,
 * not `openclaw config set`.
 */

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

/** Claude Code's own tools that only read. */
const READ_ONLY_TOOLS = new Set(['Read', 'Glob', 'Grep', 'LS', 'NotebookRead', 'TodoWrite']);

/** Shell syntax that can write, run something else or hide a second command. */
const UNSAFE = /[;&<>`\n\r]|\$\(|\$\{|\|\|/;

/**
 * Arguments that turn an allowed reader into a writer or a runner: find -exec/-delete/-fls,
 * journalctl --vacuum-size/--setup-keys, ss -K (also inside grouped flags such as -tK), file -C.
 */
const UNSAFE_ARGS =
  /\s(?:-exec|-execdir|-delete|-ok|-okdir|-fprint\w*|-fls|--vacuum\S*|--rotate|--flush|--sync|--setup-keys|--update-catalog|--relinquish-var|--kill|--set|-[A-Za-z]*[KC][A-Za-z]*)(?=\s|=|$)/;

export type AutoAllow = (tool: string, command: string) => boolean;

/** The policy from AGENT_AUTO_ALLOW's prefixes; an empty list allows nothing by itself. */
export function readOnlyPolicy(prefixes: readonly string[]): AutoAllow {
  const allowed = prefixes.map((p) => p.trim().split(/\s+/)).filter((words) => words[0]);
  if (allowed.length === 0) return () => false;
  return (tool, command) => {
    if (READ_ONLY_TOOLS.has(tool)) return true;
    if (tool !== 'Bash') return false;
    const cmd = command.trim();
    if (!cmd || UNSAFE.test(cmd) || UNSAFE_ARGS.test(` ${cmd}`)) return false;
    return cmd.split('|').every((stage) => {
      const words = stage.trim().split(/\s+/);
      return allowed.some((prefix) => prefix.every((w, i) => words[i] === w));
    });
  };
}

/** Parses AGENT_AUTO_ALLOW: `default`, `none`, or comma-separated prefixes (`default` may be one of them). */
export function parseAutoAllow(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 1 && items[0] === 'none') return [];
  return items.flatMap((item) => (item === 'default' ? DEFAULT_READ_ONLY_COMMANDS : [item]));
}
