/**
 * Configuration: read once from the environment (and an optional targets file), validated
 * with zod, every problem listed with how to fix it. Nothing else reads env.
 *
 * Each setting is one row below: its variable, its schema and its default. The types are
 * derived from the schemas; the ladder's defaults come from `DefaultLadderOptions`.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { agentCredential, CREDENTIAL_CHOICES } from './agent/credentials.js';
import { parseAutoAllow } from './agent/policy.js';
import { ALERT_VARIABLES, loadAlerts, type AlertsConfig } from './config/alerts.js';
import { typoProblems } from './config/typos.js';
import { FLEET_VARIABLES, loadFleet, type FleetConfig } from './config/fleet.js';
import { VITALS_FIELDS } from './config/vitals.js';
import { whereSet } from './env-file.js';
import { ConfigError } from './errors.js';
import { DefaultBackoff, DefaultLadderOptions } from './recovery/ladder/options.js';

/** One setting: the variable it is read from, its schema and its default (used when unset or empty). */
interface Field {
  env: string;
  schema: z.ZodType;
  def: unknown;
}

/** The parsed value of each field of a table. */
type Parsed<T extends Record<string, Field>> = { -readonly [K in keyof T]: z.output<T[K]['schema']> };

const ms = (min: number) => z.coerce.number().int().min(min);
const count = (min: number) => z.coerce.number().int().min(min);
const text = z.string().trim().min(1);
const url = z.url({ protocol: /^https?$/ });
const port = z.string().trim().regex(/^\d+$/, 'must be a port number').transform(Number).pipe(z.number().int().min(1).max(65535));
const L = DefaultLadderOptions;
/** A host name, an IPv4 address or a bracketed IPv6 one, with an optional port; no scheme, path or wildcard. */
const HOST_NAME = /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const hostNames = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(HOST_NAME, 'must be host names separated by commas, e.g. medic.lan,medic.example.ts.net:8443 (no http://, no path, no *)')));

/** Each target setting; in a targets file its key is the field's name. */
const TARGET_FIELDS = {
  name: { env: 'GATEWAY_NAME', schema: text.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i, 'may hold only letters, digits, - and _ (at most 32)'), def: 'openclaw' },
  /** Shell command the medic runs and supervises; null when a service manager owns the gateway. */
  command: { env: 'GATEWAY_COMMAND', schema: text.nullable(), def: null },
  cwd: { env: 'GATEWAY_CWD', schema: text.nullable(), def: null },
  /** How to restart a gateway the medic does not own (e.g. `systemctl --user restart openclaw-gateway`). */
  restartCommand: { env: 'GATEWAY_RESTART_COMMAND', schema: text.nullable(), def: null },
  stopCommand: { env: 'GATEWAY_STOP_COMMAND', schema: text.nullable(), def: null },
  /** A log file to tail for a gateway the medic does not own. */
  logFile: { env: 'GATEWAY_LOG_FILE', schema: text.nullable(), def: null },
  /** The systemd user unit whose journal a service's outage is read from; null: `openclaw-gateway` when GATEWAY_RESTART_COMMAND runs `systemctl --user`; `none`: not read. */
  serviceUnit: { env: 'GATEWAY_SERVICE_UNIT', schema: text.nullable(), def: null },
  healthUrl: { env: 'GATEWAY_HEALTH_URL', schema: url, def: 'http://127.0.0.1:18789/healthz' },
  readyUrl: { env: 'GATEWAY_READY_URL', schema: url.nullable(), def: null },
  configPath: { env: 'GATEWAY_CONFIG_PATH', schema: text, def: '~/.openclaw/openclaw.json' },
  configKind: { env: 'GATEWAY_CONFIG_KIND', schema: z.enum(['openclaw', 'json']), def: 'openclaw' },
  doctorCommand: { env: 'DOCTOR_COMMAND', schema: text, def: 'openclaw doctor --fix --non-interactive' },
  doctorTimeoutMs: { env: 'DOCTOR_TIMEOUT_MS', schema: ms(1000), def: 180_000 },
  setModeCommand: { env: 'CONFIG_SET_MODE_COMMAND', schema: text, def: 'openclaw config set gateway.mode local' },
  validateCommand: { env: 'CONFIG_VALIDATE_COMMAND', schema: text, def: 'openclaw config validate' },
  probeIntervalMs: { env: 'PROBE_INTERVAL_MS', schema: ms(100), def: 5_000 },
  probeTimeoutMs: { env: 'PROBE_TIMEOUT_MS', schema: ms(50), def: 3_000 },
  /** After a failed probe of a gateway that was answering, the next probe comes this soon (never later than the interval). */
  probeRetryMs: { env: 'PROBE_RETRY_MS', schema: ms(50), def: 500 },
  failureThreshold: { env: 'PROBE_FAILURE_THRESHOLD', schema: count(1), def: L.failureThreshold },
  recoveryThreshold: { env: 'PROBE_RECOVERY_THRESHOLD', schema: count(1), def: L.recoveryThreshold },
  startupGraceMs: { env: 'STARTUP_GRACE_MS', schema: ms(0), def: L.startupGraceMs },
  startupGraceMaxMs: { env: 'STARTUP_GRACE_MAX_MS', schema: ms(0), def: L.startupGraceMaxMs },
  backoffInitialMs: { env: 'RESTART_BACKOFF_INITIAL_MS', schema: ms(0), def: DefaultBackoff.initialMs },
  backoffMaxMs: { env: 'RESTART_BACKOFF_MAX_MS', schema: ms(0), def: DefaultBackoff.maxMs },
  breakerMaxExits: { env: 'BREAKER_MAX_EXITS', schema: count(1), def: L.breakerMaxExits },
  breakerWindowMs: { env: 'BREAKER_WINDOW_MS', schema: ms(1000), def: L.breakerWindowMs },
  flapRunMs: { env: 'FLAP_RUN_MS', schema: ms(0), def: L.flapRunMs },
  stopTimeoutMs: { env: 'STOP_TIMEOUT_MS', schema: ms(100), def: 10_000 },
  humanRetryMs: { env: 'HUMAN_RETRY_MS', schema: ms(1000), def: L.humanRetryMs },
  approvalTimeoutMs: { env: 'APPROVAL_TIMEOUT_MS', schema: ms(1000), def: L.approvalTimeoutMs },
  snapshotAfterMs: { env: 'SNAPSHOT_AFTER_MS', schema: ms(0), def: L.snapshotAfterMs },
  knownGoodGenerations: { env: 'KNOWN_GOOD_GENERATIONS', schema: count(1), def: 5 },
  ...VITALS_FIELDS,
} as const satisfies Record<string, Field>;

const MEDIC_FIELDS = {
  httpPort: { env: 'MEDIC_HTTP_PORT', schema: port, def: 18790 },
  dataDir: { env: 'MEDIC_DATA_DIR', schema: text, def: '~/.clawmedic' },
  logLevel: { env: 'LOG_LEVEL', schema: z.enum(['debug', 'info', 'warn', 'error']), def: 'info' },
  logFormat: { env: 'LOG_FORMAT', schema: z.enum(['pretty', 'json']), def: 'pretty' },
  /** Bearer token for the local API's write endpoints; generated into the data dir when unset. */
  apiToken: { env: 'MEDIC_API_TOKEN', schema: z.string().min(16).nullable(), def: null },
  targetsFile: { env: 'MEDIC_TARGETS_FILE', schema: text.nullable(), def: null },
  /**
   * Host names the API and the dashboard answer to besides 127.0.0.1, localhost and [::1] (a reverse
   * proxy's or a tunnel's name): `name` (on the medic's port, or bare behind a proxy) or `name:port`.
   */
  allowedHosts: { env: 'DASHBOARD_ALLOWED_HOSTS', schema: hostNames, def: [] },
} as const satisfies Record<string, Field>;

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)');
const snowflakes = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(snowflake));
const DISCORD_FIELDS = {
  token: { env: 'DISCORD_TOKEN', schema: z.string().min(20).nullable(), def: null },
  guildId: { env: 'DISCORD_GUILD_ID', schema: snowflake.nullable(), def: null },
  /** The incident channel. */
  channelId: { env: 'DISCORD_CHANNEL_ID', schema: snowflake.nullable(), def: null },
  operatorRoleIds: { env: 'DISCORD_OPERATOR_ROLE_IDS', schema: snowflakes, def: [] },
  operatorUserIds: { env: 'DISCORD_OPERATOR_USER_IDS', schema: snowflakes, def: [] },
  /** Who level 4 mentions, e.g. `<@&123>` (a role) or `<@456>` (a user); null: nobody. */
  oncallMention: {
    env: 'DISCORD_ONCALL_MENTION',
    schema: z
      .string()
      .regex(/^(<@&?\d{17,20}>|\d{17,20})$/, 'must be a role id, or a mention such as <@&ROLE_ID> or <@USER_ID>')
      .transform((v) => (/^\d+$/.test(v) ? `<@&${v}>` : v))
      .nullable(),
    def: null,
  },
  /** REST base override (tests, proxies); null: Discord's. */
  apiUrl: { env: 'DISCORD_API_URL', schema: url.transform((v) => v.replace(/\/+$/, '')).nullable(), def: null },
  /** Anyone in the guild may run /status (else operators only). */
  statusPublic: { env: 'DISCORD_STATUS_PUBLIC', schema: z.enum(['true', 'false']).transform((v) => v === 'true'), def: false },
} as const satisfies Record<string, Field>;

const AGENT_FIELDS = {
  /** auto: on when the command is found and ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN is set. */
  enabled: { env: 'AGENT_ENABLED', schema: z.enum(['auto', 'true', 'false']), def: 'auto' },
  /** The agent CLI (Claude Code): a name looked up in PATH (then clawmedic's own pinned copy) or a path. */
  command: { env: 'AGENT_COMMAND', schema: text, def: 'claude' },
  /** Extra arguments for it. */
  args: { env: 'AGENT_ARGS', schema: z.string().transform((v) => v.split(/\s+/).filter(Boolean)), def: [] },
  timeoutMs: { env: 'AGENT_TIMEOUT_MS', schema: ms(10_000), def: 600_000 },
  idleTimeoutMs: { env: 'AGENT_IDLE_TIMEOUT_MS', schema: ms(1_000), def: 120_000 },
  approvalTimeoutMs: { env: 'AGENT_APPROVAL_TIMEOUT_MS', schema: ms(1_000), def: L.agentApprovalTimeoutMs },
  /** Command prefixes the agent may run without asking (read-only diagnostics); empty: ask for everything. */
  autoAllow: { env: 'AGENT_AUTO_ALLOW', schema: text.transform((v) => parseAutoAllow(v)), def: parseAutoAllow('default') },
  /** The CLI's own config dir, owned by clawmedic; null: <MEDIC_DATA_DIR>/agent/claude-config. */
  configDir: { env: 'AGENT_CONFIG_DIR', schema: text.nullable(), def: null },
  /** The OS sandbox around the agent's commands: auto (on when it can run, else every action asked), required, off. */
  sandbox: { env: 'AGENT_SANDBOX', schema: z.enum(['auto', 'required', 'off']), def: 'auto' },
} as const satisfies Record<string, Field>;

export type TargetConfig = Parsed<typeof TARGET_FIELDS>;

type DiscordFields = Parsed<typeof DISCORD_FIELDS>;
/** The bot's settings; present only when DISCORD_TOKEN is set, and then with its guild and channel. */
export type DiscordConfig = Omit<DiscordFields, 'token' | 'guildId' | 'channelId'> & {
  [K in 'token' | 'guildId' | 'channelId']: NonNullable<DiscordFields[K]>;
};

/** Level 3: the AI agent. Whether it can run (command found, credentials set) is decided at start-up. */
export type AgentConfig = Parsed<typeof AGENT_FIELDS>;

/** The medic's own settings (port, data dir, log, API token). */
export type MedicSettings = Parsed<typeof MEDIC_FIELDS>;

export type MedicConfig = MedicSettings & {
  targets: TargetConfig[];
  agent: AgentConfig;
  /** Null when DISCORD_TOKEN is unset: the medic runs without the bot. */
  discord: DiscordConfig | null;
  /** Alerts beyond Discord, the dead-man's switch, a /metrics listener (src/config/alerts.ts). */
  alerts: AlertsConfig;
  /** Null unless FLEET_ETCD_ENDPOINTS is set: fleet mode (docs/fleet.md). */
  fleet: FleetConfig | null;
  httpHost: '127.0.0.1';
};

/** Every variable clawmedic reads, for docs and `check-config`. */
export const CONFIG_VARIABLES = [TARGET_FIELDS, MEDIC_FIELDS, DISCORD_FIELDS, AGENT_FIELDS].flatMap((table) =>
  Object.values(table).map((f: Field) => ({ name: f.env, default: f.def })),
).concat(ALERT_VARIABLES, FLEET_VARIABLES);

/** Parses each field of `table` from `raw(field)`; a problem is recorded (with `fix`) and the default kept. */
function parseTable<T extends Record<string, Field>>(
  table: T,
  raw: (key: string, field: Field) => unknown,
  where: (key: string, field: Field) => string,
  fix: (field: Field) => string,
  problems: string[],
): Parsed<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = parseField(spec, raw(key, spec), where(key, spec), fix(spec), problems);
  return out as Parsed<T>;
}

/** Parses one field; on failure records a problem with how to fix it and returns the default. */
function parseField(spec: Field, raw: unknown, where: string, fix: string, problems: string[]): unknown {
  if (raw === undefined || raw === '') return spec.def;
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(`${describeIssue(where, raw, parsed.error.issues[0]!)}: ${fix}`);
  return spec.def;
}

function describeIssue(where: string, value: unknown, issue: z.core.$ZodIssue): string {
  // A secret's value is never echoed, even a wrong one.
  const secret = /TOKEN|SECRET|PASSWORD|API_KEY/.test(where) && typeof value === 'string';
  const got = secret ? `a value of ${value.length} characters` : typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const i = issue as z.core.$ZodIssue & { expected?: string; minimum?: unknown; maximum?: unknown; values?: unknown[]; format?: string };
  let rule: string;
  if (i.code === 'invalid_type' && (i.expected === 'number' || i.expected === 'int')) rule = 'must be a whole number';
  else if (i.code === 'too_small' && (i as { origin?: string }).origin === 'string') {
    rule = Number(i.minimum) > 1 ? `must be at least ${String(i.minimum)} characters long` : 'must not be empty';
  } else if (i.code === 'too_small') rule = typeof value === 'string' && !/^-?\d/.test(value) ? 'must not be empty' : `must be at least ${String(i.minimum)}`;
  else if (i.code === 'too_big') rule = `must be at most ${String(i.maximum)}`;
  else if (i.code === 'invalid_value' && i.values) rule = `must be one of ${i.values.join(', ')}`;
  else if (i.code === 'invalid_format' && i.format === 'url') rule = 'must be an http(s) URL such as http://127.0.0.1:18789/healthz';
  else if (i.code === 'invalid_format' && i.format === 'regex') rule = issue.message; // the schema says what it wants
  else rule = issue.message.toLowerCase();
  return `${where} ${rule} (got ${got})`;
}

/** How to fix a bad value: where it was set (.env, or the environment when loadEnv knows it was not the file). */
const envFix = (env: NodeJS.ProcessEnv) => (f: Field) => `fix ${f.env} in ${whereSet(env, f.env)}, see .env.example`;
const medicFix = (env: NodeJS.ProcessEnv) => (f: Field) =>
  `set it in ${whereSet(env, f.env)} (default ${Array.isArray(f.def) && !f.def.length ? 'none' : String(f.def)}), see .env.example`;
const fromEnv = (env: NodeJS.ProcessEnv) => (_key: string, f: Field) => env[f.env];
const envName = (_key: string, f: Field) => f.env;

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
}

/** The medic's own settings (port, data dir, log), as `loadConfig` reads them; for the guardian. */
export function loadMedicSettings(env: NodeJS.ProcessEnv = process.env): MedicSettings {
  const problems: string[] = [];
  const medic = parseTable(MEDIC_FIELDS, fromEnv(env), envName, medicFix(env), problems);
  if (problems.length) throw new ConfigError(problems);
  return medic;
}

function loadAgent(env: NodeJS.ProcessEnv, home: string, cwd: string, problems: string[]): AgentConfig {
  const a = parseTable(AGENT_FIELDS, fromEnv(env), envName, envFix(env), problems);
  if (a.approvalTimeoutMs >= a.timeoutMs) {
    problems.push(
      `AGENT_APPROVAL_TIMEOUT_MS (${a.approvalTimeoutMs}) must be below AGENT_TIMEOUT_MS (${a.timeoutMs}): the session would end before an operator's answer counts`,
    );
  }
  if (a.enabled === 'true' && !agentCredential(env)) {
    problems.push(`AGENT_ENABLED is true but none of ${CREDENTIAL_CHOICES} is set: the agent could not call its model; set one, or AGENT_ENABLED=auto`);
  }
  if (a.configDir) a.configDir = resolve(cwd, expandHome(a.configDir, home));
  return a;
}

function loadDiscord(env: NodeJS.ProcessEnv, problems: string[]): DiscordConfig | null {
  const d = parseTable(DISCORD_FIELDS, fromEnv(env), envName, envFix(env), problems);
  if (!d.token) return null;
  const missing = (['guildId', 'channelId'] as const).filter((k) => !d[k]).map((k) => DISCORD_FIELDS[k].env);
  for (const name of missing) problems.push(`${name} is missing: DISCORD_TOKEN is set, so the bot needs it (see .env.example)`);
  if (!d.operatorRoleIds.length && !d.operatorUserIds.length) {
    problems.push(
      'DISCORD_OPERATOR_ROLE_IDS and DISCORD_OPERATOR_USER_IDS are both empty: nobody could recover, approve or abort from Discord; set at least one',
    );
  }
  return d as DiscordConfig;
}

/** Host names that reach the medic's own API (it listens on 127.0.0.1). */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0']);

function checkTargets(targets: TargetConfig[], home: string, cwd: string, httpPort: number, problems: string[]): void {
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) problems.push(`target name '${t.name}' is used twice: names must be unique`);
    names.add(t.name);
    if (t.backoffMaxMs < t.backoffInitialMs) problems.push(`target '${t.name}': RESTART_BACKOFF_MAX_MS must be >= RESTART_BACKOFF_INITIAL_MS`);
    if (t.probeTimeoutMs >= t.probeIntervalMs) {
      problems.push(`target '${t.name}': PROBE_TIMEOUT_MS (${t.probeTimeoutMs}) must be below PROBE_INTERVAL_MS (${t.probeIntervalMs})`);
    }
    const health = URL.canParse(t.healthUrl) ? new URL(t.healthUrl) : null;
    if (health && LOCAL_HOSTS.has(health.hostname) && Number(health.port) === httpPort) {
      problems.push(`target '${t.name}': GATEWAY_HEALTH_URL's port ${httpPort} is MEDIC_HTTP_PORT, where the medic's own API listens: set one of them to another port`);
    }
    if (t.command && t.restartCommand) {
      problems.push(
        `target '${t.name}': set GATEWAY_COMMAND (the medic runs the gateway) or GATEWAY_RESTART_COMMAND (a service manager runs it), not both`,
      );
    }
    t.configPath = resolve(cwd, expandHome(t.configPath, home));
    if (t.cwd) t.cwd = resolve(cwd, expandHome(t.cwd, home));
    if (t.logFile) t.logFile = resolve(cwd, expandHome(t.logFile, home));
  }
}

/**
 * Loads the configuration from `env` (already merged with `.env` by the caller).
 * Throws `ConfigError` listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): MedicConfig {
  const problems: string[] = [];
  const home = env.HOME ?? homedir();
  const medic = parseTable(MEDIC_FIELDS, fromEnv(env), envName, medicFix(env), problems);
  const fromEnvTarget = parseTable(TARGET_FIELDS, fromEnv(env), envName, envFix(env), problems);
  const targets = medic.targetsFile
    ? readTargetsFile(resolve(cwd, expandHome(medic.targetsFile, home)), fromEnvTarget, problems)
    : [fromEnvTarget];
  checkTargets(targets, home, cwd, medic.httpPort, problems);
  const discord = loadDiscord(env, problems);
  const agent = loadAgent(env, home, cwd, problems);
  const alerts = loadAlerts(env, (name) => whereSet(env, name), problems);
  const fleet = loadFleet(env, problems);
  problems.push(...typoProblems(env, CONFIG_VARIABLES.map((v) => v.name), (name) => whereSet(env, name)));
  if (problems.length) throw new ConfigError(problems);
  const dataDir = expandHome(medic.dataDir, home);
  return {
    ...medic,
    targets,
    agent,
    discord,
    alerts,
    fleet,
    httpHost: '127.0.0.1',
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
  };
}

/**
 * A targets file: `{ "targets": [ { "name": "...", "command": "...", ... } ] }`, keys as in
 * `TargetConfig`; the env values are the defaults of every target.
 */
function readTargetsFile(path: string, defaults: TargetConfig, problems: string[]): TargetConfig[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`MEDIC_TARGETS_FILE ${path} cannot be read as JSON (${(err as Error).message}): fix the file or unset MEDIC_TARGETS_FILE`);
    return [];
  }
  const list = (doc as { targets?: unknown })?.targets;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${path}: expected {"targets": [ {"name": ..., ...}, ... ]} with at least one target`);
    return [];
  }
  return list.map((entry, i) => {
    const where = `${path} targets[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${where} must be an object`);
      return { ...defaults };
    }
    const out: Record<string, unknown> = { ...defaults };
    for (const [key, raw] of Object.entries(entry as Record<string, unknown>)) {
      const spec = (TARGET_FIELDS as Record<string, Field>)[key];
      if (!spec) {
        const known = Object.keys(TARGET_FIELDS);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
        problems.push(`${where}: unknown key '${key}'${near ? `: did you mean '${near}'?` : `; known keys: ${known.join(', ')}`}`);
        continue;
      }
      out[key] = parseField(spec, raw === null ? undefined : raw, `${where}.${key}`, 'fix it in the targets file', problems);
    }
    if (!('name' in (entry as object))) problems.push(`${where}: 'name' is required`);
    return out as TargetConfig;
  });
}
