/**
 * Configuration: read once from the environment (and an optional targets file), validated
 * with zod, every problem listed with how to fix it. Nothing else reads env.
 *
 * Each setting is one row of src/config/fields.ts: its variable, its schema and its default. The
 * types below are derived from those schemas.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { agentCredential, CREDENTIAL_CHOICES } from './agent/credentials.js';
import { ALERT_VARIABLES, loadAlerts, type AlertsConfig } from './config/alerts.js';
import { typoProblems } from './config/typos.js';
import { FLEET_VARIABLES, loadFleet, type FleetConfig } from './config/fleet.js';
import { AGENT_FIELDS, DISCORD_FIELDS, MEDIC_FIELDS, TARGET_FIELDS, type Field, type Parsed } from './config/fields.js';
import { parseField, parseTable } from './config/parse.js';
import { whereSet } from './env-file.js';
import { ConfigError } from './errors.js';

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
