/**
 * Reads that would show the model a secret: the medic's own data (its API token, its store,
 * the known-good copies of the gateway config), the gateway's config and credentials, `.env`
 * files, SSH and other credential stores, shell history, other processes' environments, and the
 * commands that print an environment (`env`, `printenv`, `ps e`). A `refuse` is never needed for
 * a repair and is refused outright; a `warn` (the gateway's config, which a repair may have to
 * read) is asked, with that said plainly.
 */
import { posix } from 'node:path';
import { SECRET_KEY } from './options.js';

export interface SecretPlaces {
  /** The home directory of the user the agent runs as (`~`). */
  home: string;
  /** MEDIC_DATA_DIR, resolved. */
  dataDir: string | null;
  /** Every target's gateway config file, resolved. */
  configPaths: readonly string[];
  /** The medic's own .env file, whatever its name (MEDIC_ENV_FILE). */
  envFile?: string | null;
  /** The CLI's config dir (AGENT_CONFIG_DIR): its .claude.json and session logs hold secrets. */
  agentConfigDir?: string | null;
  /** The agent's own folders inside the data dir (its workspaces, the CLI's temp folder): not the medic's secrets. */
  agentDirs?: readonly string[];
}

export interface SecretRead {
  level: 'refuse' | 'warn';
  /** What would be exposed, for the model and the operator: "the medic's data dir (/home/op/.clawmedic)". */
  what: string;
}

/** File names that hold credentials wherever they are. */
const SECRET_NAMES: readonly [RegExp, string][] = [
  [/^\.env(\..*)?$|^\.envrc$/, 'a .env file'],
  [/^id_(rsa|dsa|ecdsa|ed25519)|\.(pem|key|p12|pfx|kdbx|keystore)$|_key$/, 'a private key'],
  [/^\.?(netrc|npmrc|pypirc|git-credentials|pgpass)$|^\.?credentials(\.json)?$|^auth-profiles\.json$|^api-token$/, 'a credentials file'],
  [/history$|^\.(histfile|lesshst|viminfo)$/, 'shell history'],
  [/^\.(ssh|gnupg|aws|kube|docker|netrc|password-store)$/, 'a credential store'],
  [/^environ$/, "a process's environment"],
];

/** Under /proc only these are read without asking: the rest may hold another process's environment or memory. */
const PROC_OK = /^\/proc(\/(loadavg|meminfo|cpuinfo|uptime|version|stat|mounts|swaps|pressure(\/\w+)?|net\/(tcp6?|udp6?|unix|dev))|\/(\d+|self)\/(status|stat|statm|cmdline|limits|cgroup|comm|io))?$/;

/** The gateway's service unit by name (systemd, launchd). */
const SERVICE_UNIT = /^openclaw[\w.@-]*\.service$|^ai\.openclaw[\w.-]*\.plist$/;

/** Kernel trees: never read recursively (/proc/N/environ, /proc/kcore, /dev/zero...). */
const KERNEL_TREES = ['/proc', '/sys', '/dev'];

export class SecretGuard {
  private readonly refuseDirs: [string, string][];
  private readonly warnPaths: [string, string][];
  private readonly warnNames: Set<string>;
  private readonly warnPrefixes: [string, string][];
  private readonly agentDirs: readonly string[];

  constructor(private readonly places: SecretPlaces) {
    const home = places.home;
    this.refuseDirs = [
      ...(places.dataDir ? [[places.dataDir, `the medic's data dir (${places.dataDir})`] as [string, string]] : []),
      ...(places.envFile ? [[places.envFile, `the medic's .env file (${places.envFile})`] as [string, string]] : []),
      ...(places.agentConfigDir ? [[places.agentConfigDir, `the agent's own config and session logs (${places.agentConfigDir})`] as [string, string]] : []),
      ...['.ssh', '.gnupg', '.aws', '.kube', '.docker', '.config/gcloud', '.password-store', '.claude'].map(
        (d) => [posix.join(home, d), `a credential store (~/${d})`] as [string, string],
      ),
      ['/etc/shadow', 'the password hashes (/etc/shadow)'],
      ['/etc/gshadow', 'the password hashes (/etc/gshadow)'],
      ['/etc/ssh', "the host's SSH keys (/etc/ssh)"],
      ['/etc/sudoers', 'the sudo rules'],
    ];
    const configDirs = [posix.join(home, '.openclaw'), ...places.configPaths.map((p) => posix.dirname(p))];
    this.warnPaths = [
      ...places.configPaths.map((p) => [p, `the gateway config (${p}), which holds its tokens`] as [string, string]),
      ...configDirs.map((d) => [d, `the gateway's config folder (${d}), which holds its credentials`] as [string, string]),
      [posix.join(home, '.config/systemd/user'), `the user's service units (~/.config/systemd/user), whose gateway unit holds its token`],
    ];
    // Files named from these prefixes: the gateway's service unit (systemd, launchd) holds OPENCLAW_GATEWAY_TOKEN.
    this.warnPrefixes = [
      ['/etc/systemd/system/openclaw', "the gateway's service unit, which holds its token"],
      [posix.join(home, 'Library/LaunchAgents/ai.openclaw'), "the gateway's launchd agent, which holds its token"],
    ];
    this.agentDirs = places.agentDirs ?? [];
    this.warnNames = new Set([...places.configPaths.map((p) => posix.basename(p)), 'openclaw.json', '.openclaw', posix.basename(places.dataDir ?? '/.clawmedic')]);
  }

  /** What the words of one simple command would expose, the worst first. */
  command(words: readonly string[]): SecretRead | null {
    const [program, ...args] = words;
    const dump = environmentDump(program ?? '', args);
    if (dump) return { level: 'refuse', what: dump };
    const value = configValue(words);
    if (value) return { level: 'warn', what: value };
    const recursive = isRecursive(program ?? '', args);
    let worst: SecretRead | null = null;
    for (const word of words.slice(1)) {
      for (const candidate of candidates(word)) {
        const found = this.path(candidate, recursive);
        if (found?.level === 'refuse') return found;
        worst ??= found;
      }
    }
    return worst;
  }

  /** A path given to a tool (Read, Grep, Glob...) or a command. */
  path(raw: string, recursive = false): SecretRead | null {
    const p = raw.startsWith('~') && (raw === '~' || raw.startsWith('~/')) ? this.places.home + raw.slice(1) : raw;
    const segments = p.split('/').filter(Boolean);
    const abs = p.startsWith('/') ? posix.normalize(p) : null;
    const own = abs !== null && this.agentDirs.some((d) => within(abs, d));
    if (abs) {
      for (const [dir, what] of this.refuseDirs) if (within(abs, dir) && !(own && dir === this.places.dataDir)) return { level: 'refuse', what };
      if (abs.startsWith('/proc/') && !PROC_OK.test(abs)) return { level: 'refuse', what: `${abs} (may hold another process's environment or memory)` };
      if (recursive && (abs === '/' || KERNEL_TREES.some((t) => within(abs, t)))) {
        return { level: 'refuse', what: `a recursive read of ${abs} (every process's environment and memory, devices that never end)` };
      }
    }
    for (const segment of segments) {
      for (const [name, what] of SECRET_NAMES) if (name.test(segment)) return { level: 'refuse', what: `${what} (${raw})` };
    }
    if (abs) {
      if (within(abs, '/dev') && abs !== '/dev/null') return { level: 'warn', what: `the device ${abs} (may never end)` };
      for (const [place, what] of this.warnPaths) if (within(abs, place)) return { level: 'warn', what };
      for (const [prefix, what] of this.warnPrefixes) if (abs.startsWith(prefix)) return { level: 'warn', what: `${what} (${abs})` };
      if (recursive) {
        for (const [dir, what] of [...this.refuseDirs, ...this.warnPaths, ...this.warnPrefixes]) {
          if (within(dir, abs)) return { level: 'warn', what: `a recursive read of ${abs}, which holds ${what}` };
        }
      }
    } else if (segments.includes('..')) {
      return { level: 'warn', what: `a relative path that climbs out of the working folder (${raw})` };
    }
    for (const segment of own ? [] : segments) {
      if (SERVICE_UNIT.test(segment)) return { level: 'warn', what: `${raw}, which may be the gateway's service unit (it holds its token)` };
      if (this.warnNames.has(segment)) return { level: 'warn', what: `${raw}, which may be the gateway's config or the medic's data` };
    }
    return null;
  }

  /** For text the parser could not read: any place or command above named anywhere in it. */
  text(command: string): SecretRead | null {
    const words = command.split(/[\s"'`$(){};|&<>=,:]+/).filter(Boolean);
    let worst: SecretRead | null = null;
    for (const w of words) {
      const found = this.path(w) ?? (environmentDump(w, []) ? { level: 'refuse' as const, what: environmentDump(w, [])! } : null);
      if (found?.level === 'refuse') return found;
      worst ??= found;
    }
    if (!worst && /\$ENV\b|\benv\b/.test(command)) worst = { level: 'warn', what: 'the environment, which holds credentials' };
    return worst;
  }
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** A word and the values inside it that may be paths: `--file=X`, `-fX`. */
function candidates(word: string): string[] {
  const out = [word];
  const eq = word.indexOf('=');
  if (word.startsWith('-') && eq > 0) out.push(word.slice(eq + 1));
  else if (/^-[A-Za-z]./.test(word)) out.push(word.slice(2));
  return out;
}

/** Commands that print an environment: the medic's, the CLI's or the gateway's (tokens, API keys). */
function environmentDump(program: string, args: readonly string[]): string | null {
  if (['env', 'printenv', 'export', 'declare', 'set', 'typeset', 'compgen'].includes(program) && (program !== 'env' || args.every((a) => a.startsWith('-')))) {
    return `the environment (${program}), which holds credentials`;
  }
  if (program === 'ps') {
    for (let i = 0; i < args.length; i += 1) {
      const a = args[i]!;
      if (/^-[A-Za-z]*[oOpCuUgGtqk]$/.test(a)) i += 1; // the next word is that option's value
      else if ((/^[A-Za-z]+$/.test(a) && a.includes('e')) || /^-[A-Za-z]*E/.test(a)) {
        return 'the environment of every process (ps e), which holds credentials';
      }
    }
  }
  if (program === 'jq' && args.some((a) => /\benv\b|\$\s*ENV\b/.test(a))) return 'the environment (jq env), which holds credentials';
  return null;
}

/** `openclaw config get <key>` of a key (or a whole section) that may hold a credential. */
function configValue(words: readonly string[]): string | null {
  if (words[0] !== 'openclaw' || words[1] !== 'config' || words[2] !== 'get') return null;
  const keys = words.slice(3).filter((w) => !w.startsWith('-'));
  const key = keys[0];
  if (keys.length !== 1 || !key) return 'the whole gateway config, which holds its tokens';
  if (key.split('.').length < 2 || key.split('.').some((part) => SECRET_KEY.test(part))) return `the gateway config value ${key}, which may be a secret`;
  return null;
}

function isRecursive(program: string, args: readonly string[]): boolean {
  // Listings (ls -R, du, find) show names only; these read the contents of whole trees.
  if (['rg', 'ag', 'tar', 'zip', 'rsync'].includes(program)) return true;
  if (!['grep', 'egrep', 'fgrep', 'cp', 'scp', 'strings'].includes(program)) return false;
  return args.some((a) => (/^-[A-Za-z]*[rR]/.test(a) && !a.startsWith('--')) || a === '--recursive' || a === '--dereference-recursive' || /^(recurse|--directories=recurse|-[A-Za-z]*drecurse)$/.test(a));
}
