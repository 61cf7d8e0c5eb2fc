/**
 * The alert, heartbeat and metrics settings: one line per problem that says how to fix it (a
 * secret never echoed), exit 2 from `clawmedic check-config`, secrets out of its --json dump.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { alertSecrets } from '../../../src/config/alerts.js';
import { configDump, configSummary } from '../../../src/cli/check-config.js';
import { ConfigError } from '../../../src/errors.js';

const BIN = fileURLToPath(new URL('../../../bin/clawmedic.js', import.meta.url));
const base = { HOME: '/tmp/clawmedic-none', PATH: process.env.PATH };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig({ ...base, ...env }, '/tmp');
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

const SLACK = 'https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnopqrstuvwx';
const PD_KEY = 'R0UT1NGKEY0123456789abcdef012345';

describe('alert settings', () => {
  it('none set: no channel, no heartbeat, /metrics only on the API', () => {
    const c = loadConfig(base, '/tmp');
    expect(c.alerts).toEqual({ channels: [], ratePerMinute: 20, heartbeat: null, guardianHeartbeatUrl: null, metricsListen: null, digestSchedule: { kind: 'at', weekday: 1, hour: 9, minute: 0 } });
  });

  it('one key per kind, each with its mode (PagerDuty defaults to level4)', () => {
    const c = loadConfig(
      {
        ...base,
        ALERT_WEBHOOK_URL: 'https://example.com/hook',
        ALERT_WEBHOOK_SECRET: '0123456789abcdef0123',
        ALERT_WEBHOOK_MODE: 'fallback',
        ALERT_NTFY_URL: 'https://ntfy.sh/clawmedic-topic-123',
        ALERT_TELEGRAM_BOT_TOKEN: '123456:ABCdefGHIjklMNOpqr-stu',
        ALERT_TELEGRAM_CHAT_ID: '-1001234567890',
        ALERT_SLACK_WEBHOOK_URL: SLACK,
        ALERT_PAGERDUTY_ROUTING_KEY: PD_KEY,
        MEDIC_HEARTBEAT_URL: 'https://hc-ping.com/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab/',
        MEDIC_HEARTBEAT_INTERVAL_S: '30',
        MEDIC_METRICS_LISTEN: '0.0.0.0:9464',
      },
      '/tmp',
    );
    expect(c.alerts.channels.map((ch) => [ch.kind, ch.mode])).toEqual([
      ['webhook', 'fallback'],
      ['ntfy', 'always'],
      ['telegram', 'always'],
      ['slack', 'always'],
      ['pagerduty', 'level4'],
    ]);
    expect(c.alerts.channels.find((ch) => ch.kind === 'telegram')).toMatchObject({ url: 'https://api.telegram.org', chatId: '-1001234567890' });
    expect(c.alerts.heartbeat).toEqual({ url: 'https://hc-ping.com/0b1c2d3e-aaaa-bbbb-cccc-0123456789ab', intervalMs: 30_000 });
    expect(c.alerts.metricsListen).toEqual({ host: '0.0.0.0', port: 9464 });
    const secrets = alertSecrets(c.alerts);
    for (const s of ['0123456789abcdef0123', '123456:ABCdefGHIjklMNOpqr-stu', 'services/T0001/B0002/abcdefghijklmnopqrstuvwx', PD_KEY, 'clawmedic-topic-123', '0b1c2d3e-aaaa-bbbb-cccc-0123456789ab']) {
      expect(secrets).toContain(s);
    }
    // check-config --json shows none of them.
    const dump = configDump(c);
    for (const s of secrets) expect(dump).not.toContain(s);
    expect(configSummary(c, base)).toContain('alerts beyond Discord: webhook (fallback), ntfy (always), telegram (always), slack (always), pagerduty (level4), at most 20/min each');
  });

  it('a bad value is one line saying how to fix it; a secret is not echoed', () => {
    expect(problems({ ALERT_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0001/B0002/secretsecret' })).toEqual([
      'ALERT_SLACK_WEBHOOK_URL must be an http(s) URL (got a value of 49 characters): set the incoming webhook URL, https://hooks.slack.com/services/... in .env, see .env.example',
    ]);
    expect(problems({ ALERT_NTFY_URL: 'https://ntfy.sh/t1', ALERT_NTFY_MODE: 'sometimes' })).toEqual([
      "ALERT_NTFY_MODE must be one of always, fallback, level4 (got 'sometimes'): set always, fallback, level4 in .env, see .env.example",
    ]);
    expect(problems({ ALERT_WEBHOOK_URL: 'https://example.com/h' })).toEqual([
      'ALERT_WEBHOOK_SECRET is missing: ALERT_WEBHOOK_URL is set and every delivery is signed with it (set it in .env, see .env.example)',
    ]);
    expect(problems({ ALERT_TELEGRAM_CHAT_ID: '42' })[0]).toMatch(/^ALERT_TELEGRAM_BOT_TOKEN is missing/);
    expect(problems({ ALERT_NTFY_URL: 'https://ntfy.sh/' })[0]).toMatch(/^ALERT_NTFY_URL must name a topic/);
    expect(problems({ MEDIC_METRICS_LISTEN: 'everywhere' })[0]).toMatch(/^MEDIC_METRICS_LISTEN must be host:port, e.g. 0.0.0.0:9464/);
    // A near miss of a new name is a typo like any other.
    expect(problems({ ALERT_SLAK_WEBHOOK_URL: SLACK })[0]).toMatch(/^ALERT_SLAK_WEBHOOK_URL is not a clawmedic variable: did you mean ALERT_SLACK_WEBHOOK_URL\?/);
  });

  it('DIGEST_SCHEDULE: weekly by default, off, a day and time, every N; a wrong one says what it may be', () => {
    expect(loadConfig(base, '/tmp').alerts.digestSchedule).toEqual({ kind: 'at', weekday: 1, hour: 9, minute: 0 });
    expect(loadConfig({ ...base, DIGEST_SCHEDULE: 'off' }, '/tmp').alerts.digestSchedule).toEqual({ kind: 'off' });
    expect(loadConfig({ ...base, DIGEST_SCHEDULE: 'fri 17:30' }, '/tmp').alerts.digestSchedule).toEqual({ kind: 'at', weekday: 5, hour: 17, minute: 30 });
    expect(loadConfig({ ...base, DIGEST_SCHEDULE: 'every 12h' }, '/tmp').alerts.digestSchedule).toEqual({ kind: 'every', everyMs: 43_200_000 });
    const forms = 'off, weekly (Monday 09:00), a day and a local time (mon 09:00, friday 17:30), daily HH:MM, or every <N>m|h|d (every 24h)';
    expect(problems({ DIGEST_SCHEDULE: 'sometimes' })).toEqual([`DIGEST_SCHEDULE must be ${forms} (got 'sometimes'): set ${forms} in .env, see .env.example`]);
    expect(problems({ DIGEST_SCHEDULE: 'funday 9' })).toEqual([
      `DIGEST_SCHEDULE 'funday' is not a day: use mon, tue, wed, thu, fri, sat, sun or daily (got 'funday 9'): set ${forms} in .env, see .env.example`,
    ]);
    expect(configSummary(loadConfig({ ...base, DIGEST_SCHEDULE: 'daily 08:00' }, '/tmp'), base)).toContain('digest: daily at 08:00 local time (DIGEST_SCHEDULE)');
  });

  it('clawmedic check-config: a bad alert URL is one line on stderr and exit 2', () => {
    const r = spawnSync(process.execPath, [BIN, 'check-config'], {
      env: { ...base, ALERT_PAGERDUTY_ROUTING_KEY: PD_KEY, ALERT_PAGERDUTY_URL: 'events.pagerduty.com' },
      cwd: '/tmp',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.includes('ALERT_'));
    expect(lines).toEqual([expect.stringMatching(/ALERT_PAGERDUTY_URL must be an http\(s\) URL \(got 'events.pagerduty.com'\): set the Events API v2 endpoint in/)]);
    expect(r.stderr).not.toContain(PD_KEY);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
