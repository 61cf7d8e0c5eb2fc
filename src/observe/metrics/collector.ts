/**
 * Feeds the metrics from what already flows out of the medic: counters and histograms from its
 * events (each emitted once, after the store committed it), gauges read from the targets' status
 * at scrape time. Reads only; the ladder never waits on it.
 */
import type { MedicEvents } from '../../recovery/events.js';
import type { Incident, TargetPhase, TargetStatus } from '../../recovery/types.js';
import type { MedicMetrics } from './registry.js';

/** Every phase, so that a state-set gauge shows 0 for the ones a target is not in. */
export const PHASES = [
  'healthy',
  'starting',
  'down',
  'stopped',
  'restarting',
  'flapping',
  'repairing',
  'agent',
  'waiting-for-human',
  'paused',
] as const satisfies readonly TargetPhase[];
// A phase added to TargetPhase and not here fails the typecheck.
type MissingPhase = Exclude<TargetPhase, (typeof PHASES)[number]>;
const _allPhases: MissingPhase extends never ? true : false = true;
void _allPhases;

export const DISCORD_STATES = ['disabled', 'starting', 'connected', 'reconnecting', 'unreachable', 'auth-failed'] as const;


export interface MetricSources {
  statuses: () => TargetStatus[];
  /** The Discord link and relay, null when there is no bot. */
  discord: () => { state: string; relay?: { queued: number; sent: number; failed: number } } | null;
  now: () => number;
  /** Alerts waiting per channel beyond Discord (src/notify). */
  alertsPending?: () => Record<string, number>;
}

/** The failure class label: the shared vocabulary, or 'unclassified'. */
export function classOf(incident: Pick<Incident, 'failure'>): string {
  return incident.failure?.class ?? 'unclassified';
}

interface Seen {
  maxLevel: number;
  agentRuns: number;
}

export class MetricsCollector {
  private readonly open = new Map<string, Seen>();
  /** Incidents closed lately, with when: the same closing seen again is not counted twice; a reopened one is not a new incident. */
  private readonly closed = new Map<string, { closedAt: number; seen: Seen }>();
  private readonly lastProbeAt = new Map<string, number>();
  private readonly restartsSeen = new Map<string, number>();
  private discordSeen = { sent: 0, failed: 0 };

  constructor(
    readonly metrics: MedicMetrics,
    private readonly sources: MetricSources,
    version: string,
  ) {
    metrics.info.set({ version }, 1);
  }

  /** Subscribes to the medic's events. */
  attach(events: MedicEvents): void {
    events.on('incident', (incident) => this.onIncident(incident));
    events.on('status', (status) => this.onStatus(status));
    events.on('approval', (e) => this.metrics.approvalsAsked.inc({ target: e.target, kind: e.approval.kind }));
    events.on('approval-closed', (e) => {
      this.metrics.approvalsClosed.inc({ target: e.target, kind: e.approval.kind, outcome: e.outcome });
      const waited = Math.max(0, this.sources.now() - e.approval.requestedAt) / 1000;
      this.metrics.approvalWait.observe({ kind: e.approval.kind, outcome: e.outcome }, waited);
    });
    events.on('agent-ended', (e) => this.metrics.agentEnded.inc({ target: e.target, outcome: e.outcome }));
  }

  /** One HTTP 429 from Discord (wired to the bot's REST client by the composition root). */
  discordRateLimited(): void {
    this.metrics.discord429.inc();
  }

  /** The Prometheus text exposition, gauges refreshed first. */
  async render(): Promise<{ contentType: string; body: string }> {
    this.refreshGauges();
    return { contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() };
  }

  private onIncident(incident: Incident): void {
    const { target } = incident;
    const before = this.closed.get(incident.id);
    if (before && incident.closedAt === before.closedAt) return;
    let seen = this.open.get(incident.id);
    if (!seen) {
      seen = before?.seen ?? { maxLevel: -1, agentRuns: 0 };
      this.open.set(incident.id, seen);
      if (!before) this.metrics.incidentsOpened.inc({ target, class: classOf(incident) });
    }
    for (let level = seen.maxLevel + 1; level <= incident.maxLevel; level++) this.metrics.levelReached.inc({ target, level: String(level) });
    seen.maxLevel = Math.max(seen.maxLevel, incident.maxLevel);
    const runs = incident.agent?.runs ?? 0;
    if (runs > seen.agentRuns) this.metrics.agentStarted.inc({ target }, runs - seen.agentRuns);
    seen.agentRuns = Math.max(seen.agentRuns, runs);
    if (incident.closedAt === null || (incident.state !== 'resolved' && incident.state !== 'aborted')) return;
    this.open.delete(incident.id);
    this.closed.set(incident.id, { closedAt: incident.closedAt, seen });
    if (this.closed.size > 1000) this.closed.delete(this.closed.keys().next().value!);
    const cls = classOf(incident);
    this.metrics.incidentsClosed.inc({ target, class: cls, outcome: incident.state, max_level: String(incident.maxLevel) });
    if (incident.state === 'resolved') {
      this.metrics.timeToRecover.observe({ target, class: cls }, Math.max(0, incident.closedAt - incident.openedAt) / 1000);
    }
  }

  private onStatus(status: TargetStatus): void {
    const probe = status.lastProbe;
    if (probe && this.lastProbeAt.get(status.name) !== probe.at) {
      this.lastProbeAt.set(status.name, probe.at);
      this.metrics.probeDuration.observe({ target: status.name, result: probe.ok ? 'ok' : 'failed' }, probe.latencyMs / 1000);
    }
    this.countRestarts(status);
  }

  /** The status carries a running total (kept across medic restarts); the counter counts from this run's start. */
  private countRestarts(status: TargetStatus): void {
    const before = this.restartsSeen.get(status.name);
    this.restartsSeen.set(status.name, status.restarts);
    if (before === undefined) {
      this.metrics.restarts.inc({ target: status.name }, 0);
      return;
    }
    if (status.restarts > before) this.metrics.restarts.inc({ target: status.name }, status.restarts - before);
  }

  private refreshGauges(): void {
    const m = this.metrics;
    const now = this.sources.now();
    for (const s of this.sources.statuses()) {
      const target = s.name;
      this.countRestarts(s);
      m.targetUp.set({ target }, s.health === 'up' ? 1 : s.health === 'down' ? 0 : -1);
      for (const phase of PHASES) m.targetPhase.set({ target, phase }, s.phase === phase ? 1 : 0);
      m.targetPaused.set({ target }, s.paused ? 1 : 0);
      m.incidentLevel.set({ target }, s.incident ? s.incident.level : -1);
      const memory = s.memory;
      if (typeof memory?.rssBytes === 'number') m.rss.set({ target }, memory.rssBytes);
      else m.rss.remove({ target });
      if (typeof memory?.oomAt === 'number') m.oomEta.set({ target }, Math.max(0, memory.oomAt - now) / 1000);
      else m.oomEta.remove({ target });
    }
    for (const [channel, n] of Object.entries(this.sources.alertsPending?.() ?? {})) m.alertsPending.set({ channel }, n);
    const discord = this.sources.discord();
    const state = discord?.state ?? 'disabled';
    for (const s of DISCORD_STATES) m.discordUp.set({ state: s }, s === state ? 1 : 0);
    m.discordQueue.set(discord?.relay?.queued ?? 0);
    const relay = discord?.relay;
    if (relay) {
      if (relay.sent > this.discordSeen.sent) m.discordWrites.inc({ result: 'sent' }, relay.sent - this.discordSeen.sent);
      if (relay.failed > this.discordSeen.failed) m.discordWrites.inc({ result: 'failed' }, relay.failed - this.discordSeen.failed);
      this.discordSeen = { sent: relay.sent, failed: relay.failed };
    }
  }
}
