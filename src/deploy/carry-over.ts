/**
 * What a user's own gateway unit says that clawmedic's must keep: OpenClaw's `openclaw gateway
 * install` writes `Environment=` lines (port, tokens, NODE_OPTIONS) and flags (`--port`) into
 * `openclaw-gateway.service` or `ai.openclaw.gateway.plist`. Installing over it carries them
 * into the new unit, or refuses and says which. Pure: text in, settings out.
 */
import type { Platform } from './platform.js';

/** The settings of an existing gateway unit that the new one carries. */
export interface CarriedSettings {
  /** The unit file they come from. */
  from: string;
  /** Its environment, except the variables clawmedic's unit sets itself. */
  env: [string, string][];
  /** systemd `EnvironmentFile=` values, kept as they were. */
  envFiles: string[];
  /** Gateway flags of its command line (after `gateway`), e.g. `--port 18789`. */
  flags: string[][];
  /** Node's own flags (before the OpenClaw entry point, e.g. `--max-old-space-size=4096`): into NODE_OPTIONS. */
  nodeOptions: string[];
  /** What was not carried and why, for the report. */
  dropped: string[];
}

/** Variables clawmedic's gateway unit sets itself: the old values are not carried. */
const OWN = new Set(['PATH', 'OPENCLAW_SERVICE_MARKER', 'OPENCLAW_SERVICE_KIND', 'OPENCLAW_SYSTEMD_UNIT']);

/** A name whose value is a credential: the unit that carries it is written 0600. */
export const SECRET_NAME = /(TOKEN|PASSWORD|SECRET|API_KEY|_KEY)$/i;

/** systemd.syntax(7) words: double or single quotes, backslash escapes, whitespace between words. */
export function splitSystemdWords(value: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < value.length) word += unescapeC(value[++i]!);
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '\\' && i + 1 < value.length) {
      word += unescapeC(value[++i]!);
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function unescapeC(c: string): string {
  return c === 'n' ? '\n' : c === 't' ? '\t' : c;
}

/** `%%` is a literal `%` in unit files; the values clawmedic writes escape it again. */
const unpercent = (s: string) => s.replace(/%%/g, '%');

interface UnitSettings {
  env: [string, string][];
  envFiles: string[];
  argv: string[];
}

function readSystemdUnit(text: string): UnitSettings {
  const env: [string, string][] = [];
  const envFiles: string[] = [];
  let argv: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^(Environment|EnvironmentFile|ExecStart)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const value = unpercent(m[2]!);
    if (m[1] === 'EnvironmentFile') envFiles.push(value);
    else if (m[1] === 'ExecStart') argv = splitSystemdWords(value.replace(/^[@\-:+!]+/, ''));
    else {
      for (const word of splitSystemdWords(value)) {
        const eq = word.indexOf('=');
        if (eq > 0) env.push([word.slice(0, eq), word.slice(eq + 1)]);
      }
    }
  }
  return { env, envFiles, argv };
}

const xmlText = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

function readPlist(text: string): UnitSettings {
  const env: [string, string][] = [];
  const dict = /<key>EnvironmentVariables<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(text)?.[1] ?? '';
  for (const m of dict.matchAll(/<key>([^<]*)<\/key>\s*<string>([^<]*)<\/string>/g)) env.push([xmlText(m[1]!), xmlText(m[2]!)]);
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text)?.[1] ?? '';
  const argv = [...array.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => xmlText(m[1]!));
  return { env, envFiles: [], argv };
}

/** Groups `--port 18789 --allow-unconfigured --bind=lan` into `[['--port','18789'], ['--allow-unconfigured'], ['--bind=lan']]`. */
function groupFlags(words: string[]): string[][] {
  const groups: string[][] = [];
  for (const w of words) {
    if (w.startsWith('-') || !groups.length) groups.push([w]);
    else groups.at(-1)!.push(w);
  }
  return groups;
}

/**
 * The settings of `text` (an existing gateway unit not written by clawmedic) to carry over.
 * A gateway run through `/bin/sh -c` (a hand-written unit) keeps its flags only when they follow
 * `gateway` in the shell command as plain words.
 */
export function readExistingGatewayUnit(platform: Platform, path: string, text: string): CarriedSettings {
  const unit = platform === 'systemd' ? readSystemdUnit(text) : readPlist(text);
  const dropped: string[] = [];
  const env = unit.env.filter(([name, value]) => {
    if (!OWN.has(name)) return true;
    if (name === 'PATH') dropped.push(`PATH=${value} (the new unit uses the installing shell's PATH)`);
    return false;
  });
  let argv = unit.argv;
  if (argv.length === 3 && /(^|\/)(ba|z|da)?sh$/.test(argv[0]!) && argv[1] === '-c') argv = argv[2]!.trim().replace(/^exec\s+/, '').split(/\s+/);
  const at = argv.indexOf('gateway');
  const nodeOptions: string[] = [];
  let flags: string[][] = [];
  if (at === -1) {
    if (argv.length) dropped.push(`its command line (${argv.join(' ')}): no \`gateway\` word to find the flags after`);
  } else {
    if (/(^|\/)node(js)?$/.test(argv[0] ?? '')) nodeOptions.push(...argv.slice(1, at).filter((w) => w.startsWith('-')));
    const after = argv.slice(at + 1);
    flags = groupFlags(after[0] === 'run' ? after.slice(1) : after);
  }
  return { from: path, env, envFiles: unit.envFiles, flags, nodeOptions, dropped };
}

/** The flag's name: `--port` from `--port 1` or `--port=1`. */
const flagName = (group: string[]) => group[0]!.split('=')[0]!;

/**
 * The gateway command with the carried flags the command does not already have (a flag given in
 * `--gateway-command` or `GATEWAY_COMMAND` wins over the old unit's).
 */
export function withCarriedFlags(command: string, carried: CarriedSettings): { command: string; added: string[][] } {
  const words = command.split(/\s+/);
  const added = carried.flags.filter((g) => g[0]!.startsWith('-') && !words.some((w) => w.split('=')[0] === flagName(g)));
  const quote = (w: string) => (/^[A-Za-z0-9_/.:@%+=,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  return { command: [command.trim(), ...added.flat().map(quote)].join(' '), added };
}

/** Flags that put a credential on the command line, which a unit file must not hold. */
export function secretFlags(carried: CarriedSettings): string[] {
  return carried.flags.map(flagName).filter((f) => /^--(token|password|secret|api-key)$/i.test(f));
}

/**
 * The unit's text with the values of credential variables replaced by `[hidden]`, for what is
 * printed (a dry run's diff): the file itself keeps them.
 */
export function maskSecrets(text: string): string {
  return text
    .replace(/^(Environment=)(.*)$/gm, (line, head: string, value: string) =>
      head +
      value.replace(/(^|\s|")([A-Za-z_][A-Za-z0-9_]*)=((?:\\.|[^"\s])*)/g, (m, pre: string, name: string) => (SECRET_NAME.test(name) ? `${pre}${name}=[hidden]` : m)),
    )
    .replace(/(<key>([^<]*)<\/key>\s*<string>)([^<]*)(<\/string>)/g, (m, open: string, name: string, _v: string, close: string) =>
      SECRET_NAME.test(name) ? `${open}[hidden]${close}` : m,
    );
}
