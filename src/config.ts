/**
 * Configuration: read once from the environment (and an optional targets file),
 * validated with zod, every problem listed with how to fix it. Nothing else reads env.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { agentCredential, CREDENTIAL_CHOICES } from './agent/credentials.js';
import { parseAutoAllow } from './agent/policy.js';
import { ConfigError } from './errors.js';

export interface TargetConfig {
  name: string;
  /** Shell command the medic runs and supervises; null when a service manager owns the gateway. */
  command: string | null;
  cwd: string | null;
  /** How to restart a gateway the medic does not own (e.g. `systemctl --user restart openclaw-gateway`). */
  restartCommand: string | null;
  stopCommand: string | null;
  /** A log file to tail for a gateway the medic does not own. */
  logFile: string | null;
  healthUrl: string;
  readyUrl: string | null;
  configPath: string;
  configKind: 'openclaw' | 'json';
  doctorCommand: string;
  doctorTimeoutMs: number;
  setModeCommand: string;
  validateCommand: string;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  failureThreshold: number;
  recoveryThreshold: number;
  startupGraceMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  breakerMaxExits: number;
  breakerWindowMs: number;
  stopTimeoutMs: number;
  humanRetryMs: number;
  approvalTimeoutMs: number;
  snapshotAfterMs: number;
  knownGoodGenerations: number;
}

export interface DiscordConfig {
  token: string;
  guildId: string;
  /** The incident channel. */
  channelId: string;
  operatorRoleIds: string[];
  operatorUserIds: string[];
  /** Who level 4 mentions, e.g. `<@&123>` (a role) or `<@456>` (a user); null: nobody. */
  oncallMention: string | null;
  /** REST base override (tests, proxies); null: Discord's. */
  apiUrl: string | null;
  /** Anyone in the guild may run /status (else operators only). */
  statusPublic: boolean;
}

/** Level 3: the AI agent. Whether it can run (command found, credentials set) is decided at start-up. */
export interface AgentConfig {
  /** auto: on when the command is found and ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN is set. */
  enabled: 'auto' | 'true' | 'false';
  /** The agent CLI (Claude Code): a name looked up in PATH (then clawmedic's own pinned copy) or a path. */
  command: string;
  /** Extra arguments for it. */
  args: string[];
  timeoutMs: number;
  idleTimeoutMs: number;
  approvalTimeoutMs: number;
  /** Command prefixes the agent may run without asking (read-only diagnostics); empty: ask for everything. */
  autoAllow: string[];
  /** The CLI's own config dir, owned by clawmedic; null: <MEDIC_DATA_DIR>/agent/claude-config. */
  configDir: string | null;
}

export interface MedicConfig {
  targets: TargetConfig[];
  agent: AgentConfig;
  /** Null when DISCORD_TOKEN is unset: the medic runs without the bot. */
  discord: DiscordConfig | null;
  httpHost: '127.0.0.1';
  httpPort: number;
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'pretty' | 'json';
  /** Bearer token for the local API's write endpoints; generated into the data dir when unset. */
  apiToken: string | null;
  targetsFile: string | null;
}

const ms = (min: number) => z.coerce.number().int().min(min);
const count = (min: number) => z.coerce.number().int().min(min);
const text = z.string().trim().min(1);
const url = z.url({ protocol: /^https?$/ });

/** Each target setting: its env variable, its targets-file key, its schema and default. */
const TARGET_FIELDS = {
  name: { env: 'GATEWAY_NAME', schema: text.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/i), def: 'openclaw' },
  command: { env: 'GATEWAY_COMMAND', schema: text.nullable(), def: null },
  cwd: { env: 'GATEWAY_CWD', schema: text.nullable(), def: null },
  restartCommand: { env: 'GATEWAY_RESTART_COMMAND', schema: text.nullable(), def: null },
  stopCommand: { env: 'GATEWAY_STOP_COMMAND', schema: text.nullable(), def: null },
  logFile: { env: 'GATEWAY_LOG_FILE', schema: text.nullable(), def: null },
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
  failureThreshold: { env: 'PROBE_FAILURE_THRESHOLD', schema: count(1), def: 3 },
  recoveryThreshold: { env: 'PROBE_RECOVERY_THRESHOLD', schema: count(1), def: 2 },
  startupGraceMs: { env: 'STARTUP_GRACE_MS', schema: ms(0), def: 60_000 },
  backoffInitialMs: { env: 'RESTART_BACKOFF_INITIAL_MS', schema: ms(0), def: 1_000 },
  backoffMaxMs: { env: 'RESTART_BACKOFF_MAX_MS', schema: ms(0), def: 30_000 },
  breakerMaxExits: { env: 'BREAKER_MAX_EXITS', schema: count(1), def: 5 },
  breakerWindowMs: { env: 'BREAKER_WINDOW_MS', schema: ms(1000), def: 120_000 },
  stopTimeoutMs: { env: 'STOP_TIMEOUT_MS', schema: ms(100), def: 10_000 },
  humanRetryMs: { env: 'HUMAN_RETRY_MS', schema: ms(1000), def: 600_000 },
  approvalTimeoutMs: { env: 'APPROVAL_TIMEOUT_MS', schema: ms(1000), def: 900_000 },
  snapshotAfterMs: { env: 'SNAPSHOT_AFTER_MS', schema: ms(0), def: 30_000 },
  knownGoodGenerations: { env: 'KNOWN_GOOD_GENERATIONS', schema: count(1), def: 5 },
} as const satisfies Record<keyof TargetConfig, { env: string; schema: z.ZodType; def: unknown }>;

type TargetKey = keyof typeof TARGET_FIELDS;

const MEDIC_FIELDS = {
  httpPort: { env: 'MEDIC_HTTP_PORT', schema: z.coerce.number().int().min(1).max(65535), def: 18790 },
  dataDir: { env: 'MEDIC_DATA_DIR', schema: text, def: '~/.clawmedic' },
  logLevel: { env: 'LOG_LEVEL', schema: z.enum(['debug', 'info', 'warn', 'error']), def: 'info' },
  logFormat: { env: 'LOG_FORMAT', schema: z.enum(['pretty', 'json']), def: 'pretty' },
  apiToken: { env: 'MEDIC_API_TOKEN', schema: z.string().min(16).nullable(), def: null },
  targetsFile: { env: 'MEDIC_TARGETS_FILE', schema: text.nullable(), def: null },
} as const;

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)');
const snowflakes = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(snowflake));
const DISCORD_FIELDS = {
  token: { env: 'DISCORD_TOKEN', schema: z.string().min(20).nullable(), def: null },
  guildId: { env: 'DISCORD_GUILD_ID', schema: snowflake.nullable(), def: null },
  channelId: { env: 'DISCORD_CHANNEL_ID', schema: snowflake.nullable(), def: null },
  operatorRoleIds: { env: 'DISCORD_OPERATOR_ROLE_IDS', schema: snowflakes, def: [] },
  operatorUserIds: { env: 'DISCORD_OPERATOR_USER_IDS', schema: snowflakes, def: [] },
  oncallMention: {
    env: 'DISCORD_ONCALL_MENTION',
    schema: z
      .string()
      .regex(/^(<@&?\d{17,20}>|\d{17,20})$/, 'must be a role id, or a mention such as <@&ROLE_ID> or <@USER_ID>')
      .transform((v) => (/^\d+$/.test(v) ? `<@&${v}>` : v))
      .nullable(),
    def: null,
  },
  apiUrl: { env: 'DISCORD_API_URL', schema: url.transform((v) => v.replace(/\/+$/, '')).nullable(), def: null },
  statusPublic: { env: 'DISCORD_STATUS_PUBLIC', schema: z.enum(['true', 'false']).transform((v) => v === 'true'), def: false },
} as const;

const AGENT_FIELDS = {
  enabled: { env: 'AGENT_ENABLED', schema: z.enum(['auto', 'true', 'false']), def: 'auto' },
  command: { env: 'AGENT_COMMAND', schema: text, def: 'claude' },
  args: { env: 'AGENT_ARGS', schema: z.string().transform((v) => v.split(/\s+/).filter(Boolean)), def: [] },
  timeoutMs: { env: 'AGENT_TIMEOUT_MS', schema: ms(10_000), def: 600_000 },
  idleTimeoutMs: { env: 'AGENT_IDLE_TIMEOUT_MS', schema: ms(1_000), def: 120_000 },
  approvalTimeoutMs: { env: 'AGENT_APPROVAL_TIMEOUT_MS', schema: ms(1_000), def: 300_000 },
  autoAllow: { env: 'AGENT_AUTO_ALLOW', schema: text.transform((v) => parseAutoAllow(v)), def: parseAutoAllow('default') },
  configDir: { env: 'AGENT_CONFIG_DIR', schema: text.nullable(), def: null },
} as const satisfies Record<keyof AgentConfig, { env: string; schema: z.ZodType; def: unknown }>;

/** Every variable clawmedic reads, for docs and `check-config`. */
export const CONFIG_VARIABLES = [
  ...Object.values(TARGET_FIELDS).map((f) => ({ name: f.env, default: f.def as unknown })),
  ...Object.values(MEDIC_FIELDS).map((f) => ({ name: f.env, default: f.def as unknown })),
  ...Object.values(DISCORD_FIELDS).map((f) => ({ name: f.env, default: f.def as unknown })),
  ...Object.values(AGENT_FIELDS).map((f) => ({ name: f.env, default: f.def as unknown })),
];

function loadAgent(env: NodeJS.ProcessEnv, home: string, cwd: string, problems: string[]): AgentConfig {
  const a = Object.fromEntries(
    Object.entries(AGENT_FIELDS).map(([key, spec]) => [
      key,
      field(spec, env[spec.env], spec.env, `fix ${spec.env} in .env, see .env.example`, problems),
    ]),
  ) as unknown as AgentConfig;
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
  const d = Object.fromEntries(
    Object.entries(DISCORD_FIELDS).map(([key, spec]) => [
      key,
      field(spec, env[spec.env], spec.env, `fix ${spec.env} in .env, see .env.example`, problems),
    ]),
  ) as Record<keyof typeof DISCORD_FIELDS, unknown>;
  if (!d.token) return null;
  const missing = (['guildId', 'channelId'] as const).filter((k) => !d[k]).map((k) => DISCORD_FIELDS[k].env);
  for (const name of missing) problems.push(`${name} is missing: DISCORD_TOKEN is set, so the bot needs it (see .env.example)`);
  if (!(d.operatorRoleIds as string[]).length && !(d.operatorUserIds as string[]).length) {
    problems.push(
      'DISCORD_OPERATOR_ROLE_IDS and DISCORD_OPERATOR_USER_IDS are both empty: nobody could recover, approve or abort from Discord; set at least one',
    );
  }
  return d as unknown as DiscordConfig;
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
}

function describeIssue(where: string, value: unknown, issue: z.core.$ZodIssue): string {
  const got = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const i = issue as z.core.$ZodIssue & { expected?: string; minimum?: unknown; maximum?: unknown; values?: unknown[]; format?: string };
  let rule: string;
  if (i.code === 'invalid_type' && (i.expected === 'number' || i.expected === 'int')) rule = 'must be a whole number';
  else if (i.code === 'too_small') rule = typeof value === 'string' && !/^-?\d/.test(value) ? 'must not be empty' : `must be at least ${String(i.minimum)}`;
  else if (i.code === 'too_big') rule = `must be at most ${String(i.maximum)}`;
  else if (i.code === 'invalid_value' && i.values) rule = `must be one of ${i.values.join(', ')}`;
  else if (i.code === 'invalid_format' && i.format === 'url') rule = 'must be an http(s) URL such as http://127.0.0.1:18789/healthz';
  else if (i.code === 'invalid_format' && i.format === 'regex') rule = 'may hold only letters, digits, - and _ (at most 32)';
  else rule = issue.message.toLowerCase();
  return `${where} ${rule} (got ${got})`;
}

/** Parses one field; on failure records a problem with how to fix it and returns the default. */
function field<T>(
  spec: { schema: z.ZodType; def: unknown },
  raw: unknown,
  where: string,
  fix: string,
  problems: string[],
): T {
  if (raw === undefined || raw === '') return spec.def as T;
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data as T;
  problems.push(`${describeIssue(where, raw, parsed.error.issues[0]!)}: ${fix}`);
  return spec.def as T;
}

/**
 * Loads the configuration from `env` (already merged with `.env` by the caller).
 * Throws `ConfigError` listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): MedicConfig {
  const problems: string[] = [];
  const home = env.HOME ?? homedir();
  const medic = Object.fromEntries(
    Object.entries(MEDIC_FIELDS).map(([key, spec]) => [
      key,
      field(spec, env[spec.env], spec.env, `set it in .env (default ${String(spec.def)}), see .env.example`, problems),
    ]),
  ) as { [K in keyof typeof MEDIC_FIELDS]: unknown };

  const fromEnv = {} as Record<TargetKey, unknown>;
  for (const [key, spec] of Object.entries(TARGET_FIELDS) as [TargetKey, (typeof TARGET_FIELDS)[TargetKey]][]) {
    fromEnv[key] = field(spec, env[spec.env], spec.env, `fix ${spec.env} in .env, see .env.example`, problems);
  }

  let targets: Record<TargetKey, unknown>[] = [fromEnv];
  const targetsFile = medic.targetsFile as string | null;
  if (targetsFile) targets = readTargetsFile(resolve(cwd, expandHome(targetsFile, home)), fromEnv, problems);

  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name as string)) problems.push(`target name '${String(t.name)}' is used twice: names must be unique`);
    names.add(t.name as string);
    if ((t.backoffMaxMs as number) < (t.backoffInitialMs as number)) {
      problems.push(`target '${String(t.name)}': RESTART_BACKOFF_MAX_MS must be >= RESTART_BACKOFF_INITIAL_MS`);
    }
    if ((t.probeTimeoutMs as number) >= (t.probeIntervalMs as number)) {
      problems.push(
        `target '${String(t.name)}': PROBE_TIMEOUT_MS (${String(t.probeTimeoutMs)}) must be below PROBE_INTERVAL_MS (${String(t.probeIntervalMs)})`,
      );
    }
    if (t.command && t.restartCommand) {
      problems.push(
        `target '${String(t.name)}': set GATEWAY_COMMAND (the medic runs the gateway) or GATEWAY_RESTART_COMMAND (a service manager runs it), not both`,
      );
    }
    t.configPath = resolve(cwd, expandHome(t.configPath as string, home));
    if (t.cwd) t.cwd = resolve(cwd, expandHome(t.cwd as string, home));
    if (t.logFile) t.logFile = resolve(cwd, expandHome(t.logFile as string, home));
  }
  const discord = loadDiscord(env, problems);
  const agent = loadAgent(env, home, cwd, problems);
  if (problems.length) throw new ConfigError(problems);
  const dataDir = expandHome(medic.dataDir as string, home);
  return {
    targets: targets as unknown as TargetConfig[],
    agent,
    discord,
    httpHost: '127.0.0.1',
    httpPort: medic.httpPort as number,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    logLevel: medic.logLevel as MedicConfig['logLevel'],
    logFormat: medic.logFormat as MedicConfig['logFormat'],
    apiToken: medic.apiToken as string | null,
    targetsFile,
  };
}

/**
 * A targets file: `{ "targets": [ { "name": "...", "command": "...", ... } ] }`, keys as in
 * `TargetConfig`; the env values are the defaults of every target.
 */
function readTargetsFile(
  path: string,
  defaults: Record<TargetKey, unknown>,
  problems: string[],
): Record<TargetKey, unknown>[] {
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
    const out = { ...defaults };
    for (const [key, raw] of Object.entries(entry as Record<string, unknown>)) {
      const spec = TARGET_FIELDS[key as TargetKey];
      if (!spec) {
        const known = Object.keys(TARGET_FIELDS);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
        problems.push(`${where}: unknown key '${key}'${near ? `: did you mean '${near}'?` : `; known keys: ${known.join(', ')}`}`);
        continue;
      }
      out[key as TargetKey] = field(spec, raw === null ? undefined : raw, `${where}.${key}`, 'fix it in the targets file', problems);
    }
    if (!('name' in (entry as object))) problems.push(`${where}: 'name' is required`);
    return out;
  });
}
