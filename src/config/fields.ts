/**
 * Every setting as one row: the variable it is read from, its schema and its default. The config's
 * types are derived from these tables (src/config.ts); the ladder's defaults come from
 * `DefaultLadderOptions`.
 */
import { z } from 'zod';
import { CREDENTIAL_CHOICES } from '../agent/credentials.js';
import { parseAutoAllow } from '../agent/policy.js';
import { VITALS_FIELDS } from './vitals.js';
import { DefaultBackoff, DefaultLadderOptions } from '../recovery/ladder/options.js';

/** One setting: the variable it is read from, its schema and its default (used when unset or empty). */
export interface Field {
  env: string;
  schema: z.ZodType;
  def: unknown;
}

/** The parsed value of each field of a table. */
export type Parsed<T extends Record<string, Field>> = { -readonly [K in keyof T]: z.output<T[K]['schema']> };

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
export const TARGET_FIELDS = {
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

export const MEDIC_FIELDS = {
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
export const DISCORD_FIELDS = {
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

export const AGENT_FIELDS = {
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
