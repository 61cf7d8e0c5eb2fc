/**
 * The collector from events to series, for what the integration test's incident does not reach:
 * questions, agent sessions, failure classes, the vitals' memory gauges (present or absent), the
 * Discord relay, and the exposition parsed as Prometheus reads it.
 */
import { describe, expect, it } from 'vitest';
import { createMedicMetrics, MetricsCollector, PHASES } from '../../../src/observe/metrics/index.js';
import { MedicEvents } from '../../../src/recovery/events.js';
import type { Incident, TargetStatus } from '../../../src/recovery/types.js';
import { Scrape } from './prom-text.js';

const NOW = 1_700_000_100_000;

function status(over: Partial<TargetStatus> & Record<string, unknown> = {}): TargetStatus {
  return {
    name: 'gw', supervised: true, agent: true, phase: 'healthy', health: 'up', process: 'running', pid: 42, startedAt: 0,
    restarts: 3, paused: false, pausedUntil: null, pending: null, restartAt: null, lastProbe: null, incident: null, ...over,
  } as TargetStatus;
}

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'gw-1', target: 'gw', openedAt: NOW - 90_000, closedAt: null, cause: 'x', state: 'recovering', level: 0, maxLevel: 0,
    restarts: 0, doctorRuns: 0, tried: [], verifying: null, lastDiagnosis: null, retryAt: null, approval: null, outcome: null, ...over,
  };
}

function setup(statuses: TargetStatus[], discord: ReturnType<ConstructorParameters<typeof MetricsCollector>[1]['discord']> = null) {
  const events = new MedicEvents();
  const c = new MetricsCollector(createMedicMetrics(), { statuses: () => statuses, discord: () => discord, now: () => NOW, alertsPending: () => ({ ntfy: 2 }) }, '9.9.9');
  c.attach(events);
  return { events, scrape: async () => new Scrape((await c.render()).body), c };
}

describe('MetricsCollector', () => {
  it('counts an incident through levels 2 and 3 by its failure class, with its agent sessions and questions', async () => {
    const { events, scrape } = setup([status()]);
    const failure = { class: 'plugin-crash' as const, culprit: 'bad-plugin', evidence: [], summary: 's' };
    events.emit('incident', incident(), null);
    events.emit('incident', incident({ level: 2, maxLevel: 2, failure }), null);
    events.emit('incident', incident({ level: 3, maxLevel: 3, failure, agent: { runs: 1, reason: 'r', startedAt: 0, asks: 0, grantedBy: null, result: null } }), null);
    const approval = { id: 'a1', kind: 'agent-tool' as const, pid: 0, command: 'ls', question: 'q', requestedAt: NOW - 20_000, expiresAt: NOW };
    events.emit('approval', { target: 'gw', incidentId: 'gw-1', approval });
    events.emit('approval-closed', { target: 'gw', incidentId: 'gw-1', approval, outcome: 'approved', by: 'discord:ada' });
    events.emit('agent-ended', { target: 'gw', incidentId: 'gw-1', outcome: 'finished', detail: '', transcript: [], transcriptPath: null });
    events.emit('incident', incident({ level: 3, maxLevel: 3, failure, state: 'resolved', closedAt: NOW, agent: { runs: 1, reason: 'r', startedAt: 0, asks: 0, grantedBy: null, result: null } }), null);
    // The same closing seen again (a replay) is not counted twice.
    events.emit('incident', incident({ level: 3, maxLevel: 3, failure, state: 'resolved', closedAt: NOW }), null);

    const s = await scrape();
    expect(s.value('clawmedic_incidents_opened_total', { target: 'gw', class: 'unclassified' })).toBe(1);
    expect(s.value('clawmedic_incidents_closed_total', { target: 'gw', class: 'plugin-crash', outcome: 'resolved', max_level: '3' })).toBe(1);
    expect(s.sum('clawmedic_incidents_closed_total')).toBe(1);
    for (const level of ['0', '1', '2', '3']) expect(s.value('clawmedic_incident_level_reached_total', { level })).toBe(1);
    expect(s.value('clawmedic_time_to_recover_seconds_sum', { class: 'plugin-crash' })).toBe(90);
    expect(s.value('clawmedic_time_to_recover_seconds_bucket', { class: 'plugin-crash', le: '60' })).toBe(0);
    expect(s.value('clawmedic_time_to_recover_seconds_bucket', { class: 'plugin-crash', le: '120' })).toBe(1);
    expect(s.value('clawmedic_agent_sessions_started_total', { target: 'gw' })).toBe(1);
    expect(s.value('clawmedic_agent_sessions_total', { target: 'gw', outcome: 'finished' })).toBe(1);
    expect(s.value('clawmedic_approvals_asked_total', { kind: 'agent-tool' })).toBe(1);
    expect(s.value('clawmedic_approvals_closed_total', { kind: 'agent-tool', outcome: 'approved' })).toBe(1);
    expect(s.value('clawmedic_approval_wait_seconds_sum', { kind: 'agent-tool', outcome: 'approved' })).toBe(20);
    expect(s.value('clawmedic_info', { version: '9.9.9' })).toBe(1);
    expect(s.value('clawmedic_alerts_pending', { channel: 'ntfy' })).toBe(2);
  });

  const memory = (rssBytes: number, oomAt: number | null) => ({ pid: 42, sampledAt: NOW, rssBytes, limitBytes: null, heapLimitBytes: null, growthBytesPerMin: null, oomAt });
  it("exports the vitals' RSS and time to out-of-memory when the status has them, and nothing when it has not", async () => {
    const withMemory = setup([status({ memory: memory(512 * 1024 * 1024, NOW + 3_600_000) })]);
    const s = await withMemory.scrape();
    expect(s.value('clawmedic_gateway_rss_bytes', { target: 'gw' })).toBe(512 * 1024 * 1024);
    expect(s.value('clawmedic_gateway_oom_eta_seconds', { target: 'gw' })).toBe(3600);

    const without = await setup([status({ memory: memory(1000, null) })]).scrape();
    expect(without.value('clawmedic_gateway_rss_bytes', { target: 'gw' })).toBe(1000);
    expect(without.has('clawmedic_gateway_oom_eta_seconds')).toBe(false);
    const none = await setup([status()]).scrape();
    expect(none.has('clawmedic_gateway_rss_bytes')).toBe(false);
  });

  it('phase as a state set, restarts from the running total, probe latency once per probe, the Discord relay', async () => {
    const statuses = [status({ phase: 'repairing', health: 'down', restarts: 3 })];
    const { events, scrape } = setup(statuses, { state: 'unreachable', relay: { queued: 7, sent: 10, failed: 2 } });
    const probe = { ok: false, at: NOW, latencyMs: 250, status: null, error: 'ECONNREFUSED' };
    const first = await scrape();
    expect(first.value('clawmedic_gateway_restarts_total', { target: 'gw' })).toBe(0); // counted from this run's start
    events.emit('status', status({ restarts: 5, lastProbe: probe }));
    events.emit('status', status({ restarts: 5, lastProbe: probe })); // the same probe, another step
    const s = await scrape();
    for (const phase of PHASES) expect(s.value('clawmedic_target_phase', { target: 'gw', phase })).toBe(phase === 'repairing' ? 1 : 0);
    expect(s.value('clawmedic_target_up', { target: 'gw' })).toBe(0);
    expect(s.value('clawmedic_gateway_restarts_total', { target: 'gw' })).toBe(2);
    expect(s.value('clawmedic_probe_duration_seconds_count', { target: 'gw', result: 'failed' })).toBe(1);
    expect(s.value('clawmedic_probe_duration_seconds_sum', { target: 'gw', result: 'failed' })).toBe(0.25);
    expect(s.value('clawmedic_discord_link_state', { state: 'unreachable' })).toBe(1);
    expect(s.value('clawmedic_discord_link_state', { state: 'connected' })).toBe(0);
    expect(s.value('clawmedic_discord_queue_depth')).toBe(7);
    expect(s.value('clawmedic_discord_writes_total', { result: 'sent' })).toBe(10);
  });
});
