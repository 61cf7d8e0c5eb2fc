/** Reading OpenClaw's /readyz (the exact bodies of 2026.9.6), a channel's own error, the provider probe's outcome. */
import { describe, expect, it } from 'vitest';
import { channelErrorsIn, failingChannels, parseReadiness } from '../../../src/recovery/vitals/readiness.js';
import { classifyProviderCall, modelsStatusEvidence, probeProvider } from '../../../src/recovery/vitals/provider-probe.js';
import { heapFlagBytes, nodeDefaultHeapBytes, pluginsIn } from '../../../src/recovery/vitals/memory-sampler.js';

const MiB = 1024 * 1024;

describe('parseReadiness', () => {
  it('ready: 200 with the event loop figures', () => {
    const body = '{"ready":true,"failing":[],"uptimeMs":61234,"eventLoop":{"degraded":false,"degradedSinceMs":null,"reasons":[],"intervalMs":1001,"delayP99Ms":21.5,"delayMaxMs":30.1,"utilization":0.012,"cpuCoreRatio":0.008}}';
    expect(parseReadiness(200, body)).toEqual({
      status: 200,
      ready: true,
      failing: [],
      suppressed: [],
      eventLoop: { degraded: false, degradedSinceMs: null, reasons: [], delayP99Ms: 21.5, delayMaxMs: 30.1, utilization: 0.012 },
      error: null,
    });
  });

  it('a channel failing: 503 naming it', () => {
    const r = parseReadiness(503, '{"ready":false,"failing":["telegram"],"uptimeMs":40210}');
    expect(r).toMatchObject({ status: 503, ready: false, failing: ['telegram'], suppressed: [], error: null });
    expect(failingChannels(r)).toEqual(['telegram']);
  });

  it('start-up states are not channels', () => {
    const r = parseReadiness(503, '{"ready":false,"failing":["startup-sidecars"],"uptimeMs":900}');
    expect(failingChannels(r)).toEqual([]);
    expect(failingChannels(parseReadiness(503, '{"ready":false,"failing":["agent-database:main","plugin-reload"]}'))).toEqual([]);
  });

  it("channels suppressed by OpenClaw's crash-loop breaker are ready but listed", () => {
    expect(parseReadiness(200, '{"ready":true,"failing":[],"suppressed":["telegram"],"uptimeMs":5000}')).toMatchObject({ ready: true, suppressed: ['telegram'] });
  });

  it('a degraded event loop, as OpenClaw reports it', () => {
    const body = '{"ready":true,"failing":[],"uptimeMs":200000,"eventLoop":{"degraded":true,"degradedSinceMs":91000,"reasons":["event_loop_delay","event_loop_utilization"],"intervalMs":4002,"delayP99Ms":3005.2,"delayMaxMs":3010.7,"utilization":0.751,"cpuCoreRatio":0.74}}';
    expect(parseReadiness(200, body).eventLoop).toEqual({
      degraded: true,
      degradedSinceMs: 91000,
      reasons: ['event_loop_delay', 'event_loop_utilization'],
      delayP99Ms: 3005.2,
      delayMaxMs: 3010.7,
      utilization: 0.751,
    });
  });

  it('no answer, or an answer that is not OpenClaw\'s', () => {
    expect(parseReadiness(null, '', 'connection refused')).toMatchObject({ ready: false, error: 'connection refused' });
    expect(parseReadiness(404, 'Not Found')).toMatchObject({ ready: false, error: 'HTTP 404, not a readiness answer: Not Found' });
    expect(parseReadiness(200, 'ok')).toMatchObject({ ready: true, error: null });
  });
});

describe('channelErrorsIn', () => {
  const refused =
    '[telegram] Telegram bot token unauthorized for account "default" (getMe returned 401 from Telegram; source: config token). Update channels.telegram.botToken, channels.telegram.tokenFile, or TELEGRAM_BOT_TOKEN with the current BotFather token.';

  it("finds the channel's own terminal error", () => {
    const errors = channelErrorsIn(['[gateway] ready', refused, '[gateway] http server listening'], ['telegram']);
    expect(errors).toEqual([{ channel: 'telegram', error: refused, terminal: true }]);
  });

  it('the health monitor giving up is terminal too; a 500 is not', () => {
    expect(channelErrorsIn(['[telegram:default] health-monitor: skipping restart, terminal-disconnect'], ['telegram'])[0]!.terminal).toBe(true);
    expect(channelErrorsIn(['[telegram] getUpdates failed: HTTP 500 Internal Server Error; retrying in 4s'], ['telegram'])[0]).toMatchObject({ terminal: false });
  });

  it('a terminal error is not hidden by a later transient one; other channels and quiet lines are ignored', () => {
    const lines = [refused, '[telegram] getUpdates failed: HTTP 500', '[discord] connection refused'];
    expect(channelErrorsIn(lines, ['telegram'])).toEqual([{ channel: 'telegram', error: refused, terminal: true }]);
    expect(channelErrorsIn(['[telegram] started polling'], ['telegram'])).toEqual([]);
  });
});

describe('the provider probe', () => {
  it('401: the gateway says the token may have expired', () => {
    const out = 'Error: Authentication failed (provider returned HTTP 401). Your provider token may have expired. Run `openclaw models status`.';
    expect(classifyProviderCall({ code: 1, timedOut: false, output: out }, [])).toEqual({ outcome: 'auth', detail: out });
  });

  it("429: the call times out while the gateway retries; its own lines say rate_limit", () => {
    const lines = ['[agent] transient same-model retry 4/9 provider=fake model=fake-model reason=rate_limit delayMs=2000'];
    expect(classifyProviderCall({ code: null, timedOut: true, output: '' }, lines)).toEqual({ outcome: 'rate-limit', detail: lines[0] });
  });

  it("a failed call's JSON answer gives its message, not its last line", () => {
    const out = '{\n  "ok": false,\n  "error": {\n    "code": "UNAVAILABLE",\n    "message": "gateway call timed out after 30000 ms"\n  }\n}';
    expect(classifyProviderCall({ code: 1, timedOut: false, output: out }, [])).toEqual({ outcome: 'error', detail: 'rc 1: gateway call timed out after 30000 ms' });
  });

  it('ok, and an error that is neither', () => {
    expect(classifyProviderCall({ code: 0, timedOut: false, output: '{"status":"ok","result":{"text":"PONG"}}' }, []).outcome).toBe('ok');
    expect(classifyProviderCall({ code: null, timedOut: true, output: '' }, [])).toEqual({ outcome: 'error', detail: 'the probe call timed out' });
  });

  it("a call that failed without naming why, OpenClaw's auth view and the gateway's later lines: a 401 with the provider's words (chaos run, load 12)", async () => {
    // The CLI gave up first (its JSON error, exit 1); the gateway's lines about the 401 came while models status ran.
    const failed = JSON.stringify({ ok: false, error: { message: 'gateway call timed out' } }, null, 2);
    const status = JSON.stringify({ auth: { unusableProfiles: [{ profileId: 'inline-api-key:fake', kind: 'cooldown', reason: 'auth' }] } });
    const lines: string[] = ['[gateway] ready'];
    const probed = await probeProvider(
      { command: `printf '%s\\n' ${JSON.stringify(failed)}; exit 1; :`, statusCommand: `printf '%s' '${status}'`, timeoutMs: 10_000, env: process.env },
      () => {
        const now = [...lines];
        lines.push('[agent/embedded] embedded run agent end: isError=true error=Authentication failed (provider returned HTTP 401).');
        return now;
      },
    );
    expect(probed).toMatchObject({ outcome: 'auth', provider: 'inline-api-key', evidence: ['openclaw models status: unusable profile inline-api-key:fake (kind cooldown, reason auth)'] });
    expect(probed.detail).toContain('Authentication failed (provider returned HTTP 401)');
  });

  it('the evidence of `openclaw models status --json`', () => {
    const out = JSON.stringify({ auth: { unusableProfiles: [{ profileId: 'fake:default', provider: 'fake', kind: 'cooldown', reason: 'auth' }] } });
    expect(modelsStatusEvidence(out)).toEqual({ provider: 'fake', reasons: ['auth'], lines: ['openclaw models status: unusable profile fake:default (kind cooldown, reason auth)'] });
    expect(modelsStatusEvidence('not json').lines).toEqual(['openclaw models status: no unusable profile listed']);
  });
});

describe('the memory sampler', () => {
  it('reads the heap limit flag from a command line or NODE_OPTIONS', () => {
    expect(heapFlagBytes('node --max-old-space-size=2048 openclaw.mjs gateway')).toBe(2048 * MiB);
    expect(heapFlagBytes('--max_old_space_size 1024')).toBe(1024 * MiB);
    expect(heapFlagBytes('openclaw-gateway')).toBeNull();
  });

  it("Node's default: 4288 MiB on a machine with 24 GiB (measured), a quarter of a small one", () => {
    expect(nodeDefaultHeapBytes(24 * 1024 * MiB)).toBe(4288 * MiB);
    expect(nodeDefaultHeapBytes(4 * 1024 * MiB)).toBe((1024 + 192) * MiB);
  });

  it("the plugins the gateway says it loaded", () => {
    expect(pluginsIn(['[plugins] 15 plugins: memory-core, telegram, leaky', 'x'])).toEqual(['memory-core', 'telegram', 'leaky']);
    expect(pluginsIn(['nothing here'])).toBeNull();
  });
});

describe("OpenClaw's memory pressure line", () => {
  it('gives RSS minus heap used', async () => {
    const { nonHeapIn } = await import('../../../src/recovery/vitals/memory-sampler.js');
    const line =
      '2026-12-03T13:55:36.559+00:00 [diagnostics/memory] memory pressure: level=warning reason=rss_threshold rss=1.74 GiB heap=1.22 GiB threshold=1.5 GiB thresholdRatio=115.8% rssBytes=1864581120 heapUsedBytes=1315223408 externalBytes=7847955';
    expect(nonHeapIn(['x', line, 'y'])).toBe(1864581120 - 1315223408);
    expect(nonHeapIn(['nothing'])).toBeNull();
  });
});
