/**
 * Settings of the medic's other ways to be seen and heard: alert channels beyond Discord (one
 * key per kind, each with a mode), the dead-man's switch and where `/metrics` may also be read.
 * Merged into the configuration by `loadConfig`; every problem says how to fix it, and a secret
 * (a webhook URL, a bot token, a routing key) is never echoed.
 */
import { z } from 'zod';
import { DEFAULT_DIGEST_SCHEDULE, describeSchedule, DIGEST_SCHEDULE_FORMS, parseDigestSchedule, type DigestSchedule } from '../report/schedule.js';

/** When a channel is used: every alert; only while Discord cannot be reached (or refuses the bot's token); only when a person is needed. */
export const ALERT_MODES = ['always', 'fallback', 'level4'] as const;
export type AlertMode = (typeof ALERT_MODES)[number];
export type AlertKind = 'webhook' | 'ntfy' | 'telegram' | 'slack' | 'pagerduty';

/** One configured channel. `url` is where it posts; the other fields are that kind's credentials. */
export interface AlertChannelConfig {
  kind: AlertKind;
  mode: AlertMode;
  url: string;
  /** webhook: the HMAC-SHA256 key; ntfy: an access token (optional); telegram: the bot token; pagerduty: the routing key. */
  secret: string | null;
  /** telegram: the chat id. */
  chatId: string | null;
}

export interface AlertsConfig {
  channels: AlertChannelConfig[];
  /** Deliveries per minute at most, per channel. */
  ratePerMinute: number;
  /** Dead-man's switch: pinged every `intervalMs` (`<url>/fail` when the medic knows it is unhealthy). */
  heartbeat: { url: string; intervalMs: number } | null;
  /** The guardian's own check, pinged after each of its passes (a separate check: it must not vouch for a dead medic). */
  guardianHeartbeatUrl: string | null;
  /** A second listener serving only `/metrics` (e.g. 0.0.0.0:9464 for a Prometheus on another host); null: only on the API's 127.0.0.1. */
  metricsListen: { host: string; port: number } | null;
  /** When the digest is posted to Discord and the alert channels (src/report/schedule.ts). */
  digestSchedule: DigestSchedule;
}

interface Row {
  env: string;
  schema: z.ZodType;
  def: unknown;
  /** What to write when the value is wrong. */
  hint: string;
}

const httpUrl = z.url({ protocol: /^https?$/ });
const mode = z.enum(ALERT_MODES);
const secret = (min: number) => z.string().trim().min(min);

export const ALERT_FIELDS = {
  webhookUrl: { env: 'ALERT_WEBHOOK_URL', schema: httpUrl, def: null, hint: 'an http(s) URL that accepts a JSON POST' },
  webhookSecret: { env: 'ALERT_WEBHOOK_SECRET', schema: secret(16), def: null, hint: 'at least 16 random characters, e.g. the output of openssl rand -hex 32' },
  webhookMode: { env: 'ALERT_WEBHOOK_MODE', schema: mode, def: 'always', hint: ALERT_MODES.join(', ') },
  ntfyUrl: { env: 'ALERT_NTFY_URL', schema: httpUrl, def: null, hint: 'the topic URL, e.g. https://ntfy.sh/my-clawmedic-topic' },
  ntfyToken: { env: 'ALERT_NTFY_TOKEN', schema: secret(1), def: null, hint: 'an ntfy access token (tk_...)' },
  ntfyMode: { env: 'ALERT_NTFY_MODE', schema: mode, def: 'always', hint: ALERT_MODES.join(', ') },
  telegramToken: { env: 'ALERT_TELEGRAM_BOT_TOKEN', schema: secret(20).regex(/^\d+:[\w-]+$/, 'must look like 123456:ABC-DEF... (from @BotFather)'), def: null, hint: 'the token @BotFather gave' },
  telegramChatId: { env: 'ALERT_TELEGRAM_CHAT_ID', schema: z.string().trim().regex(/^(-?\d+|@\w+)$/, 'must be a chat id (-100123...) or @channelname'), def: null, hint: 'a chat id or @channelname' },
  telegramApiUrl: { env: 'ALERT_TELEGRAM_API_URL', schema: httpUrl, def: 'https://api.telegram.org', hint: 'the Bot API base URL' },
  telegramMode: { env: 'ALERT_TELEGRAM_MODE', schema: mode, def: 'always', hint: ALERT_MODES.join(', ') },
  slackUrl: { env: 'ALERT_SLACK_WEBHOOK_URL', schema: httpUrl, def: null, hint: 'the incoming webhook URL, https://hooks.slack.com/services/...' },
  slackMode: { env: 'ALERT_SLACK_MODE', schema: mode, def: 'always', hint: ALERT_MODES.join(', ') },
  pagerdutyKey: { env: 'ALERT_PAGERDUTY_ROUTING_KEY', schema: secret(20).regex(/^\w+$/, 'must be the 32-character integration key'), def: null, hint: "the Events API v2 integration key of the service" },
  pagerdutyUrl: { env: 'ALERT_PAGERDUTY_URL', schema: httpUrl, def: 'https://events.pagerduty.com/v2/enqueue', hint: 'the Events API v2 endpoint' },
  pagerdutyMode: { env: 'ALERT_PAGERDUTY_MODE', schema: mode, def: 'level4', hint: ALERT_MODES.join(', ') },
  ratePerMinute: { env: 'ALERT_RATE_PER_MINUTE', schema: z.coerce.number().int().min(1).max(600), def: 20, hint: 'a whole number from 1 to 600' },
  heartbeatUrl: { env: 'MEDIC_HEARTBEAT_URL', schema: httpUrl, def: null, hint: 'a push URL, e.g. https://hc-ping.com/<uuid>' },
  guardianHeartbeatUrl: { env: 'MEDIC_GUARDIAN_HEARTBEAT_URL', schema: httpUrl, def: null, hint: "a second check's push URL (the guardian's own)" },
  heartbeatIntervalS: { env: 'MEDIC_HEARTBEAT_INTERVAL_S', schema: z.coerce.number().int().min(1).max(86_400), def: 60, hint: 'seconds from 1 to 86400' },
  metricsListen: {
    env: 'MEDIC_METRICS_LISTEN',
    schema: z.string().trim().regex(/^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d{1,5}$/i, 'must be host:port, e.g. 0.0.0.0:9464'),
    def: null,
    hint: 'host:port for a /metrics-only listener',
  },
  digestSchedule: {
    env: 'DIGEST_SCHEDULE',
    schema: z.string().transform((v, ctx) => {
      const parsed = parseDigestSchedule(v);
      if ('error' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }
      return parsed;
    }),
    def: DEFAULT_DIGEST_SCHEDULE,
    hint: DIGEST_SCHEDULE_FORMS,
  },
} as const satisfies Record<string, Row>;

/** Every variable this file reads, for `CONFIG_VARIABLES` (docs, typo detection). */
export const ALERT_VARIABLES = Object.values(ALERT_FIELDS).map((f: Row) => ({ name: f.env, default: f.def }));

const SECRET_NAME = /TOKEN|SECRET|ROUTING_KEY|WEBHOOK_URL|SLACK/;

/** One line for a bad value: what is wrong, and how to fix it. The value is shown unless it is a secret. */
function problem(f: Row, raw: string, issue: z.core.$ZodIssue, where: string): string {
  const got = SECRET_NAME.test(f.env) ? `a value of ${raw.length} characters` : `'${raw}'`;
  const i = issue as z.core.$ZodIssue & { format?: string; values?: unknown[]; minimum?: unknown; maximum?: unknown; origin?: string };
  let rule: string;
  if (i.code === 'invalid_format' && i.format === 'url') rule = 'must be an http(s) URL';
  else if (i.code === 'invalid_format' && i.format === 'regex') rule = i.message;
  else if (i.code === 'invalid_value' && i.values) rule = `must be one of ${i.values.join(', ')}`;
  else if (i.code === 'too_small') rule = i.origin === 'string' ? `must be at least ${String(i.minimum)} characters long` : `must be at least ${String(i.minimum)}`;
  else if (i.code === 'too_big') rule = `must be at most ${String(i.maximum)}`;
  else if (i.code === 'invalid_type') rule = 'must be a whole number';
  else if (i.code === 'custom') rule = i.message;
  else rule = i.message.toLowerCase();
  return `${f.env} ${rule} (got ${got}): set ${f.hint} in ${where}, see .env.example`;
}

type Values = { [K in keyof typeof ALERT_FIELDS]: unknown };

/** Reads and checks the alert, heartbeat and metrics settings; problems are appended (each one line). */
export function loadAlerts(env: NodeJS.ProcessEnv, where: (name: string) => string, problems: string[]): AlertsConfig {
  const v = {} as Record<string, unknown>;
  for (const [key, f] of Object.entries(ALERT_FIELDS) as [string, Row][]) {
    const raw = env[f.env];
    if (raw === undefined || raw.trim() === '') {
      v[key] = f.def;
      continue;
    }
    const parsed = f.schema.safeParse(raw);
    if (parsed.success) v[key] = parsed.data;
    else {
      problems.push(problem(f, raw, parsed.error.issues[0]!, where(f.env)));
      v[key] = f.def;
    }
  }
  const x = v as Values;
  const str = (u: unknown) => (typeof u === 'string' ? u : null);
  const channels: AlertChannelConfig[] = [];
  const need = (set: unknown, name: string, why: string) => {
    if (!set) problems.push(`${name} is missing: ${why} (set it in ${where(name)}, see .env.example)`);
    return Boolean(set);
  };
  if (str(x.webhookUrl) && need(x.webhookSecret, 'ALERT_WEBHOOK_SECRET', 'ALERT_WEBHOOK_URL is set and every delivery is signed with it')) {
    channels.push({ kind: 'webhook', mode: x.webhookMode as AlertMode, url: str(x.webhookUrl)!, secret: str(x.webhookSecret), chatId: null });
  }
  if (str(x.ntfyUrl)) {
    if (new URL(str(x.ntfyUrl)!).pathname.replace(/\//g, '') === '') problems.push(`ALERT_NTFY_URL must name a topic, e.g. https://ntfy.sh/my-topic (set it in ${where('ALERT_NTFY_URL')})`);
    channels.push({ kind: 'ntfy', mode: x.ntfyMode as AlertMode, url: str(x.ntfyUrl)!, secret: str(x.ntfyToken), chatId: null });
  }
  const telegram = str(x.telegramToken);
  if ((telegram || x.telegramChatId) && need(telegram, 'ALERT_TELEGRAM_BOT_TOKEN', 'ALERT_TELEGRAM_CHAT_ID is set') && need(x.telegramChatId, 'ALERT_TELEGRAM_CHAT_ID', 'ALERT_TELEGRAM_BOT_TOKEN is set; it says where to post')) {
    channels.push({ kind: 'telegram', mode: x.telegramMode as AlertMode, url: str(x.telegramApiUrl)!.replace(/\/+$/, ''), secret: telegram, chatId: str(x.telegramChatId) });
  }
  if (str(x.slackUrl)) channels.push({ kind: 'slack', mode: x.slackMode as AlertMode, url: str(x.slackUrl)!, secret: null, chatId: null });
  if (str(x.pagerdutyKey)) {
    channels.push({ kind: 'pagerduty', mode: x.pagerdutyMode as AlertMode, url: str(x.pagerdutyUrl)!, secret: str(x.pagerdutyKey), chatId: null });
  }
  const heartbeatUrl = str(x.heartbeatUrl);
  const listen = str(x.metricsListen);
  const at = listen ? listen.lastIndexOf(':') : -1;
  const metricsListen = listen ? { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) } : null;
  if (metricsListen && (metricsListen.port < 1 || metricsListen.port > 65535)) problems.push(`MEDIC_METRICS_LISTEN port must be 1 to 65535 (got ${metricsListen.port})`);
  return {
    channels,
    ratePerMinute: x.ratePerMinute as number,
    heartbeat: heartbeatUrl ? { url: heartbeatUrl.replace(/\/+$/, ''), intervalMs: (x.heartbeatIntervalS as number) * 1000 } : null,
    guardianHeartbeatUrl: str(x.guardianHeartbeatUrl)?.replace(/\/+$/, '') ?? null,
    metricsListen,
    digestSchedule: x.digestSchedule as DigestSchedule,
  };
}

/**
 * The secret values of the alert settings, for the redactor: keys and tokens; a Slack webhook's
 * path (it is the credential); in other URLs (a webhook, an ntfy topic, a heartbeat uuid) the query
 * and path segments long enough to be a credential rather than a word ("alerts" stays readable).
 */
export function alertSecrets(a: AlertsConfig): string[] {
  const out: string[] = [];
  const parts = (raw: string) => {
    const u = new URL(raw);
    const long = [...u.pathname.split('/'), ...[...u.searchParams.values()]].filter((p) => p.length >= 16);
    return u.password ? [...long, u.password] : long;
  };
  for (const c of a.channels) {
    if (c.secret) out.push(c.secret);
    if (c.kind === 'slack') out.push(new URL(c.url).pathname.slice(1));
    else if (c.kind !== 'telegram' && c.kind !== 'pagerduty') out.push(...parts(c.url));
  }
  if (a.heartbeat) out.push(...parts(a.heartbeat.url));
  if (a.guardianHeartbeatUrl) out.push(...parts(a.guardianHeartbeatUrl));
  return out;
}

/** The settings as `check-config --json` shows them: every secret (and URL that is one) replaced by `[set]`. */
export function alertsDump(a: AlertsConfig): unknown {
  return {
    ...a,
    channels: a.channels.map((c) => ({ ...c, url: c.kind === 'telegram' || c.kind === 'pagerduty' ? c.url : `${new URL(c.url).origin}/[set]`, secret: c.secret ? '[set]' : null })),
    heartbeat: a.heartbeat && { ...a.heartbeat, url: `${new URL(a.heartbeat.url).origin}/[set]` },
    guardianHeartbeatUrl: a.guardianHeartbeatUrl && `${new URL(a.guardianHeartbeatUrl).origin}/[set]`,
  };
}

/** check-config's lines: which channels, in which mode, and the heartbeat (no secrets). */
export function alertsSummary(a: AlertsConfig): string[] {
  const channels = a.channels.map((c) => `${c.kind} (${c.mode})`);
  return [
    `alerts beyond Discord: ${channels.length ? `${channels.join(', ')}, at most ${a.ratePerMinute}/min each` : 'none (see ALERT_* in .env.example)'}`,
    `heartbeat: ${a.heartbeat ? `${new URL(a.heartbeat.url).host} every ${a.heartbeat.intervalMs / 1000} s` : 'off (MEDIC_HEARTBEAT_URL is not set)'}`,
    ...(a.metricsListen ? [`metrics: also on http://${a.metricsListen.host}:${a.metricsListen.port}/metrics`] : []),
    `digest: ${describeSchedule(a.digestSchedule)} (DIGEST_SCHEDULE)`,
  ];
}

/** The guardian's heartbeat URL alone (it reads only the medic's own settings; a bad value: ConfigError-style problems). */
export function loadGuardianHeartbeat(env: NodeJS.ProcessEnv, where: (name: string) => string): { url: string | null; problems: string[] } {
  const problems: string[] = [];
  const f: Row = ALERT_FIELDS.guardianHeartbeatUrl;
  const raw = env[f.env]?.trim();
  if (!raw) return { url: null, problems };
  const parsed = f.schema.safeParse(raw);
  if (!parsed.success) problems.push(problem(f, raw, parsed.error.issues[0]!, where(f.env)));
  return { url: parsed.success ? raw.replace(/\/+$/, '') : null, problems };
}
