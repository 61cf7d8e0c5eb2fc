/**
 * The composition root: config -> logger -> store -> adapters -> medic -> API.
 * `runMedic` is what `clawmedic run` calls; tests call it in-process and swap any part.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type MedicConfig, type TargetConfig } from './config.js';
import { createLogger } from './logger.js';
import { startApiServer, type ApiServer } from './api/server.js';
import { createDashboard, type Dashboard } from './api/dashboard/index.js';
import { Medic, type TargetAdapters } from './medic.js';
import { systemClock } from './lib/clock.js';
import { MedicEvents } from './recovery/events.js';
import { recordedPids } from './recovery/pid-record.js';
import type { Clock, Logger, Store } from './recovery/ports.js';
import { HttpProbe } from './recovery/probe.js';
import { Redactor, secretValuesFromEnv, secretValuesFromFile, secretValuesFromText } from './lib/redact.js';
import { ConfigGuard } from './recovery/repair/config-guard.js';
import { portFromUrl } from './recovery/repair/port-holder.js';
import { GatewayRepairKit } from './recovery/repair/repairs.js';
import { ServiceGateway } from './recovery/service-gateway.js';
import { journalOf, serviceUnitOf } from './recovery/service-journal.js';
import { ChildSupervisor, readPidRecord } from './recovery/supervisor.js';
import { openStore } from './store/index.js';
import { VERSION } from './version.js';
import { loadApiToken } from './api/token.js';
import { readTranscripts } from './api/dashboard/transcripts.js';
import { postmortemOf } from './report/postmortem.js';
import { DigestPoster, type DigestOutput } from './report/digest-poster.js';
import { buildVitalsMonitor } from './recovery/vitals/build.js';
import type { BotOptions, MedicBot } from './bot/bot.js';
import { agentAvailability, agentSetup, type AgentSetup } from './agent/setup.js';
import { alertSecrets } from './config/alerts.js';
import { Alerting } from './notify/index.js';
import { Heartbeat, medicHealth } from './observe/heartbeat.js';
import { createMedicMetrics, MetricsCollector, startMetricsServer, type MetricsServer } from './observe/metrics/index.js';
import type { Fleet } from './fleet/index.js';

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  /** Defaults to a pino logger as configured. */
  log?: Logger;
  clock?: Clock;
  /** Replace the default adapters of a target (tests). */
  buildAdapters?: (target: TargetConfig, defaults: () => TargetAdapters) => TargetAdapters;
  /** Level 3 for tests: a runner of their own (e.g. a fake agent); default: from AGENT_* and ANTHROPIC_*. */
  agent?: AgentSetup | null;
  /** Bot tuning for tests and benchmarks (discord.js client options, relay rates). */
  bot?: Pick<BotOptions, 'clientOptions' | 'relay' | 'loginRetryMs'>;
}

export interface RunningMedic {
  config: MedicConfig;
  medic: Medic;
  events: MedicEvents;
  store: Store;
  api: ApiServer;
  /** Null when DISCORD_TOKEN is unset, and in fleet mode (there the leader's bot is `fleet.bot()`). */
  bot: MedicBot | null;
  /** `/metrics` (src/observe/metrics). */
  metrics: MetricsCollector;
  /** Alerts beyond Discord (src/notify); no channels when none is configured. */
  alerting: Alerting;
  /** Null unless FLEET_ETCD_ENDPOINTS is set (docs/fleet.md). */
  fleet: Fleet | null;
  log: Logger;
  /** Stops the medic and the gateways it supervises, then the API and the store. */
  stop(): Promise<void>;
}

export function targetDataDir(config: MedicConfig, target: string): string {
  return join(config.dataDir, 'targets', target);
}

export async function runMedic(options: RunOptions): Promise<RunningMedic> {
  const config = loadConfig(options.env);
  const redactor = new Redactor(secretValuesFromEnv(options.env));
  // Alert URLs and keys (a Slack webhook path, a routing key) are secrets too.
  redactor.add(alertSecrets(config.alerts));
  // The gateway configs' own secrets (auth token, channel tokens) are masked too.
  for (const t of config.targets) redactor.add(await secretValuesFromFile(t.configPath));
  const log = options.log ?? createLogger({ level: config.logLevel, format: config.logFormat, redactor });
  const clock = options.clock ?? systemClock;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openStore({ dataDir: config.dataDir });
  const events = new MedicEvents();
  const agent = options.agent !== undefined ? options.agent : defaultAgent(config, options.env, redactor, log);
  const defaults = (t: TargetConfig) => () => defaultAdapters(config, t, { clock, log, env: options.env, redactor });
  const medic = new Medic({
    config,
    store,
    clock,
    log,
    events,
    redactor,
    version: VERSION,
    agent,
    buildAdapters: (t) => (options.buildAdapters ? options.buildAdapters(t, defaults(t)) : defaults(t)()),
  });
  // discord.js costs ~40 MB and 0.6 s to load: only when there is a bot to run. In fleet mode the
  // fleet starts it when (and while) this medic is the leader; etcd is loaded only in fleet mode.
  const discord = config.discord;
  const transcriptDir = join(config.dataDir, 'agent', 'transcripts');
  const transcripts = (id: string) => readTranscripts(transcriptDir, id, (text) => redactor.redact(text));
  /** The Discord Postmortem button's report: what the API serves, redacted once more on its way out. */
  const postmortem = (from: Store) => async (id: string) => {
    const report = await postmortemOf(from, id, transcripts);
    return report ? redactor.redact(report.markdown) : null;
  };
  const bot = discord && !config.fleet ? await startBot(discord, medic, { store, events, log, clock, redactor, ...options.bot }, postmortem(store)) : null;
  if (!discord) log.info('DISCORD_TOKEN is not set: running without the Discord bot (CLI and local API only)');
  let fleet: Fleet | null = null;
  /** The bot that speaks for this medic now: its own, or in fleet mode the one it runs while it leads. */
  const currentBot = (): MedicBot | null => (fleet ? fleet.bot() : bot);
  /**
   * Discord's state as the alert fallback and the heartbeat see it. In fleet mode a follower connected to
   * etcd counts on the leader's bot; one cut off from etcd cannot, so its fallback channels speak.
   */
  const discordState = (): string | null => {
    if (!fleet) return bot ? bot.status().state : null;
    const own = fleet.bot();
    if (own) return own.status().state;
    return fleet.status().connected ? 'follower' : 'unreachable';
  };
  const metrics = new MetricsCollector(
    createMedicMetrics(),
    { statuses: () => medic.status().targets, discord: () => currentBot()?.status() ?? null, now: () => clock.now(), alertsPending: () => alerting.pending() },
    VERSION,
  );
  metrics.attach(events);
  const alerting = new Alerting({
    config: config.alerts,
    events,
    store,
    clock,
    log,
    redactor,
    discord: discordState,
    onDelivered: (channel) => metrics.metrics.alertsSent.inc({ channel }),
    onFailed: (channel) => metrics.metrics.alertsFailed.inc({ channel }),
  });
  const hb = config.alerts.heartbeat;
  const heartbeat = hb
    ? new Heartbeat({
        ...hb,
        clock,
        log,
        health: () => medicHealth(medic.status().targets, discordState()),
        onPing: (v, sent) => metrics.metrics.heartbeats.inc({ kind: v.ok ? 'ok' : 'fail', result: sent ? 'sent' : 'failed' }),
      })
    : null;
  bot?.client.rest.on('response', (_req, res) => {
    if (res.status === 429) metrics.discordRateLimited();
  });
  const digestPoster = buildDigestPoster(config, { bot, alerting, store, clock, log, redactor });
  let api: ApiServer | undefined;
  let dashboard: Dashboard | undefined;
  let metricsServer: MetricsServer | null = null;
  try {
    // Before the medic's first event: what a previous run left pending is delivered, nothing is missed.
    await alerting.start();
    const token = await loadApiToken(config);
    // A token the medic generated (in its data dir) is a secret like the ones from .env.
    redactor.add([token]);
    // The bot subscribes before the first event; it logs in in the background and never blocks the ladder.
    bot?.start();
    if (config.fleet) {
      const { startFleet } = await import('./fleet/index.js');
      fleet = await startFleet({
        config: config.fleet,
        medic,
        store,
        events,
        log,
        clock,
        redactor,
        version: VERSION,
        startBot: discord
          ? (o) => startBot(discord, o.medic, { log, clock, redactor, ...options.bot, store: o.store, events: o.events, canWrite: o.canWrite, userAgent: o.userAgent }, postmortem(o.store))
          : null,
      });
    }
    await medic.start();
    const joined = fleet;
    const extras = joined
      ? () => ({ discord: joined.bot()?.status() ?? { state: discord ? 'follower' : 'disabled' }, fleet: joined.status(), alertsPending: alerting.pending() })
      : () => ({ discord: bot ? bot.status() : { state: 'disabled' }, alertsPending: alerting.pending() });
    const render = () => metrics.render();
    dashboard = createDashboard({
      medic,
      store,
      events,
      redact: (text) => redactor.redact(text),
      apiToken: token,
      clock,
      log,
      transcriptDir,
    });
    api = await startApiServer({
      medic,
      store,
      host: config.httpHost,
      port: config.httpPort,
      allowedHostNames: config.allowedHosts,
      token,
      log,
      extras,
      dashboard,
      metrics: render,
      transcripts,
    });
    const listen = config.alerts.metricsListen;
    if (listen) metricsServer = await startMetricsServer(listen.host, listen.port, render);
    heartbeat?.start();
    digestPoster?.start();
  } catch (err) {
    dashboard?.close();
    await api?.close().catch(() => {});
    await medic.stop().catch(() => {});
    await alerting.stop().catch(() => {});
    await fleet?.stop().catch(() => {});
    await bot?.stop().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
  const names = config.targets.map((t) => `${t.name} (${t.command ? 'supervised' : 'watched'}, ${t.healthUrl})`);
  log.info(`clawmedic ${VERSION} watching ${names.join(', ')}; status API on http://${config.httpHost}:${api.port}/status`);
  const running = api;
  return {
    config,
    medic,
    events,
    store,
    api: running,
    bot,
    metrics,
    alerting,
    fleet,
    log,
    stop: async () => {
      // The pings stop first: a medic on its way out is not vouched for.
      await heartbeat?.stop();
      await digestPoster?.stop();
      await medic.stop();
      await fleet?.stop();
      await bot?.stop();
      await alerting.stop();
      await metricsServer?.close();
      await running.close();
      await store.close();
    },
  };
}

/**
 * The weekly digest on DIGEST_SCHEDULE: to the alert channels (first: their queues are durable), then
 * to Discord's incident channel. Not in fleet mode yet: every host would post its own (`clawmedic digest`
 * prints one there).
 */
function buildDigestPoster(
  config: MedicConfig,
  d: { bot: MedicBot | null; alerting: Alerting; store: Store; clock: Clock; log: Logger; redactor: Redactor },
): DigestPoster | null {
  if (config.fleet) {
    if (config.alerts.digestSchedule.kind !== 'off') d.log.info('digest: not posted on a schedule in fleet mode (each host would post its own); clawmedic digest prints one');
    return null;
  }
  const outputs: DigestOutput[] = [];
  if (d.alerting.takesDigests()) outputs.push({ name: 'alerts', post: async (digest) => void (await d.alerting.postDigest(digest)) });
  const bot = d.bot;
  if (bot) outputs.push({ name: 'discord', post: (digest) => bot.postDigest(digest) });
  return new DigestPoster({ schedule: config.alerts.digestSchedule, clock: d.clock, store: d.store, log: d.log, outputs, redact: (text) => d.redactor.redact(text) });
}

/** Level 3 from the config, or null (said once in the log) when it cannot run. */
function defaultAgent(config: MedicConfig, env: NodeJS.ProcessEnv, redactor: Redactor, log: Logger): AgentSetup | null {
  const available = agentAvailability(config.agent, env);
  if (!available.enabled) {
    log.info(`level 3 (AI agent) is off: ${available.why}; the ladder goes from level 2 to a human`);
    return null;
  }
  log.info(`level 3 (AI agent) is on: ${available.command}, credential ${available.credential}`);
  return agentSetup(config, available.command, { env, redactor, log });
}

export function defaultAdapters(
  config: MedicConfig,
  t: TargetConfig,
  deps: { clock: Clock; log: Logger; env: NodeJS.ProcessEnv; redactor?: Redactor },
): TargetAdapters {
  const dataDir = targetDataDir(config, t.name);
  const gateway = t.command
    ? new ChildSupervisor({
        target: t.name,
        command: t.command,
        port: portFromUrl(t.healthUrl),
        dataDir,
        stopTimeoutMs: t.stopTimeoutMs,
        log: deps.log,
        env: deps.env,
        ...(t.cwd ? { cwd: t.cwd } : {}),
      })
    : new ServiceGateway({
        target: t.name,
        restartCommand: t.restartCommand,
        stopCommand: t.stopCommand,
        logFile: t.logFile,
        journal: journalOf(serviceUnitOf(t.serviceUnit, t.restartCommand), deps),
        timeoutMs: t.startupGraceMs,
        env: deps.env,
        log: deps.log,
      });
  const guard = new ConfigGuard({
    configPath: t.configPath,
    dataDir,
    generations: t.knownGoodGenerations,
    kind: t.configKind,
    clock: deps.clock,
    log: deps.log,
    // A token added or rotated in the config while the medic runs is masked from then on.
    ...(deps.redactor ? { onRead: (text: string) => deps.redactor!.add(secretValuesFromText(text)) } : {}),
  });
  const repairs = new GatewayRepairKit({
    guard,
    healthUrl: t.healthUrl,
    doctorCommand: t.doctorCommand,
    doctorTimeoutMs: t.doctorTimeoutMs,
    // OpenClaw's own config commands only make sense for an OpenClaw config.
    setModeCommand: t.configKind === 'openclaw' ? t.setModeCommand : null,
    validateCommand: t.configKind === 'openclaw' ? t.validateCommand : null,
    openclawCli: t.configKind === 'openclaw' ? 'openclaw' : null,
    env: deps.env,
    ...(t.cwd ? { cwd: t.cwd } : {}),
    gatewayCommand: t.command,
    log: deps.log,
    knownPids: () => recordedPids(readPidRecord(dataDir)),
  });
  const probe = new HttpProbe({ url: t.healthUrl, timeoutMs: t.probeTimeoutMs, clock: deps.clock });
  const vitals = buildVitalsMonitor(t, { clock: deps.clock, log: deps.log, env: deps.env });
  return { gateway, probe, repairs, vitals };
}

/**
 * The Discord bot with the command source wired in: the bot draws and relays, src/commands turns
 * interactions into ladder operations; neither imports the other. discord.js costs ~40 MB and
 * 0.6 s to load, so both are loaded only when there is a bot to run.
 */
async function startBot(
  config: NonNullable<MedicConfig['discord']>,
  medic: Pick<Medic, 'target' | 'targets' | 'status' | 'audit'>,
  o: Omit<BotOptions, 'config' | 'onInteraction'>,
  postmortem: (incidentId: string) => Promise<string | null>,
): Promise<MedicBot> {
  const [{ MedicBot }, { handleInteraction }] = await Promise.all([import('./bot/bot.js'), import('./commands/interactions.js')]);
  return new MedicBot({
    ...o,
    config,
    onInteraction: (i, ctx) =>
      handleInteraction(i, {
        medic,
        store: o.store,
        log: o.log,
        clock: o.clock ?? systemClock,
        auth: ctx.auth,
        botStatus: ctx.botStatus,
        statusPublic: config.statusPublic,
        guildId: config.guildId,
        postmortem,
        postInThread: ctx.postInThread,
      }),
  });
}
