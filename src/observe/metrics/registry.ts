/**
 * The medic's Prometheus metrics: their names, labels and buckets, in one registry of its own
 * (never prom-client's global one, so two medics in one process, as in tests, do not collide).
 * Names are the contract with deploy/grafana-dashboard.json: a test checks every panel's expr
 * names one of `METRIC_NAMES`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a quick restart to a human's fix. */
const RECOVERY_BUCKETS = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600];
const PROBE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const APPROVAL_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1800];

export function createMedicMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const m = {
    registry,
    info: new Gauge({ name: 'clawmedic_info', help: 'Always 1; the medic version in a label', labelNames: ['version'], registers }),
    targetUp: new Gauge({ name: 'clawmedic_target_up', help: '1 when the target answers its health probe, 0 when not, -1 when unknown', labelNames: ['target'], registers }),
    targetPhase: new Gauge({ name: 'clawmedic_target_phase', help: '1 for the phase the target is in, 0 for the others', labelNames: ['target', 'phase'], registers }),
    targetPaused: new Gauge({ name: 'clawmedic_target_paused', help: '1 when automatic actions are paused', labelNames: ['target'], registers }),
    incidentLevel: new Gauge({ name: 'clawmedic_incident_level', help: 'Ladder level of the open incident (-1: none open)', labelNames: ['target'], registers }),
    incidentsOpened: new Counter({ name: 'clawmedic_incidents_opened_total', help: 'Incidents opened, by failure class as known at opening', labelNames: ['target', 'class'], registers }),
    incidentsClosed: new Counter({
      name: 'clawmedic_incidents_closed_total',
      help: 'Incidents closed, by failure class, outcome (resolved/aborted) and highest level reached',
      labelNames: ['target', 'class', 'outcome', 'max_level'],
      registers,
    }),
    levelReached: new Counter({ name: 'clawmedic_incident_level_reached_total', help: 'Incidents that reached each ladder level', labelNames: ['target', 'level'], registers }),
    timeToRecover: new Histogram({
      name: 'clawmedic_time_to_recover_seconds',
      help: 'From an incident opening to its resolution (aborted ones are not counted)',
      labelNames: ['target', 'class'],
      buckets: RECOVERY_BUCKETS,
      registers,
    }),
    restarts: new Counter({ name: 'clawmedic_gateway_restarts_total', help: 'Gateway restarts made by the medic', labelNames: ['target'], registers }),
    probeDuration: new Histogram({
      name: 'clawmedic_probe_duration_seconds',
      help: 'Health probe latency, by result (ok/failed)',
      labelNames: ['target', 'result'],
      buckets: PROBE_BUCKETS,
      registers,
    }),
    rss: new Gauge({ name: 'clawmedic_gateway_rss_bytes', help: "The gateway's resident memory (absent when not measured)", labelNames: ['target'], registers }),
    oomEta: new Gauge({
      name: 'clawmedic_gateway_oom_eta_seconds',
      help: 'Predicted seconds until the gateway runs out of memory (absent when no prediction)',
      labelNames: ['target'],
      registers,
    }),
    approvalsAsked: new Counter({ name: 'clawmedic_approvals_asked_total', help: 'Questions asked of operators', labelNames: ['target', 'kind'], registers }),
    approvalsClosed: new Counter({
      name: 'clawmedic_approvals_closed_total',
      help: 'Questions closed: approved, denied, expired or withdrawn',
      labelNames: ['target', 'kind', 'outcome'],
      registers,
    }),
    approvalWait: new Histogram({
      name: 'clawmedic_approval_wait_seconds',
      help: 'From a question to its answer (or expiry)',
      labelNames: ['kind', 'outcome'],
      buckets: APPROVAL_BUCKETS,
      registers,
    }),
    agentStarted: new Counter({ name: 'clawmedic_agent_sessions_started_total', help: 'Level-3 AI agent sessions started', labelNames: ['target'], registers }),
    agentEnded: new Counter({ name: 'clawmedic_agent_sessions_total', help: 'Level-3 AI agent sessions ended, by outcome', labelNames: ['target', 'outcome'], registers }),
    discordUp: new Gauge({ name: 'clawmedic_discord_link_state', help: '1 for the Discord link state the bot is in, 0 for the others', labelNames: ['state'], registers }),
    discordQueue: new Gauge({ name: 'clawmedic_discord_queue_depth', help: 'Discord writes waiting in the bot relay', registers }),
    discordWrites: new Counter({ name: 'clawmedic_discord_writes_total', help: 'Discord writes by result (sent/failed)', labelNames: ['result'], registers }),
    discord429: new Counter({ name: 'clawmedic_discord_rate_limited_total', help: 'HTTP 429 answers from Discord', registers }),
    alertsSent: new Counter({ name: 'clawmedic_alerts_sent_total', help: 'Alerts delivered, by channel', labelNames: ['channel'], registers }),
    alertsFailed: new Counter({ name: 'clawmedic_alerts_failed_total', help: 'Alert delivery attempts that failed, by channel', labelNames: ['channel'], registers }),
    alertsPending: new Gauge({ name: 'clawmedic_alerts_pending', help: 'Alerts waiting for delivery, by channel', labelNames: ['channel'], registers }),
    heartbeats: new Counter({ name: 'clawmedic_heartbeat_pings_total', help: 'Dead-man switch pings, by kind (ok/fail) and result (sent/failed)', labelNames: ['kind', 'result'], registers }),
  };
  collectDefaultMetrics({ register: registry });
  return m;
}

export type MedicMetrics = ReturnType<typeof createMedicMetrics>;

/** The names this medic exports (its own and prom-client's default process metrics). */
export async function exportedMetricNames(m: MedicMetrics): Promise<string[]> {
  const json = await m.registry.getMetricsAsJSON();
  return json.map((x) => x.name);
}
