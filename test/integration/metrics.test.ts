/**
 * `/metrics` over HTTP from the real medic (the composition root, a real gateway process), parsed
 * with a Prometheus text-format parser, before and after a real incident: the values move.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { E2eWorld, healthyAndCalm } from '../e2e/harness.js';
import { freePort, waitFor } from '../fixtures/gateways.js';
import { scrape } from '../unit/observe/prom-text.js';

const world = new E2eWorld();
afterEach(() => world.cleanup());

describe('GET /metrics', () => {
  it('is readable without a token and counts an incident from kill -9 to recovery', async () => {
    const m = await world.start({ mode: 'ok' });
    const before = await m.waitStatus('healthy', healthyAndCalm);
    const url = `http://127.0.0.1:${m.apiPort}/metrics`;

    const first = await scrape(url);
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.value('clawmedic_target_up', { target: 'gw' })).toBe(1);
    expect(first.value('clawmedic_target_phase', { target: 'gw', phase: 'healthy' })).toBe(1);
    expect(first.value('clawmedic_target_phase', { target: 'gw', phase: 'restarting' })).toBe(0);
    expect(first.value('clawmedic_incident_level', { target: 'gw' })).toBe(-1);
    expect(first.sum('clawmedic_incidents_opened_total')).toBe(0);
    expect(first.value('clawmedic_discord_link_state', { state: 'disabled' })).toBe(1);
    // The medic's own process metrics (prom-client's defaults).
    expect(first.value('process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(first.families.has('nodejs_eventloop_lag_seconds')).toBe(true);
    expect(first.family('clawmedic_time_to_recover_seconds').type).toBe('HISTOGRAM');
    const probes = first.value('clawmedic_probe_duration_seconds_count', { target: 'gw', result: 'ok' });
    expect(probes).toBeGreaterThan(0);
    // Not measured (no vitals on this status): the memory gauges are absent rather than 0.
    if (first.has('clawmedic_gateway_rss_bytes')) expect(first.value('clawmedic_gateway_rss_bytes', { target: 'gw' })).toBeGreaterThan(0);

    process.kill(before.pid!, 'SIGKILL');
    await m.waitStatus('recovered', (t) => healthyAndCalm(t) && t.pid !== before.pid);
    const after = await waitFor(async () => {
      const s = await scrape(url);
      return s.sum('clawmedic_incidents_closed_total') === 1 ? s : null;
    }, { what: 'the closed incident in /metrics' });

    const [incident] = await m.incidents();
    const cls = incident!.failure?.class ?? 'unclassified';
    expect(after.value('clawmedic_incidents_opened_total', { target: 'gw' })).toBe(1);
    expect(after.value('clawmedic_incidents_closed_total', { target: 'gw', class: cls, outcome: 'resolved', max_level: '0' })).toBe(1);
    expect(after.value('clawmedic_incident_level_reached_total', { target: 'gw', level: '0' })).toBe(1);
    expect(after.value('clawmedic_gateway_restarts_total', { target: 'gw' })).toBe(1);
    expect(after.value('clawmedic_time_to_recover_seconds_count', { target: 'gw', class: cls })).toBe(1);
    const seconds = (incident!.closedAt! - incident!.openedAt) / 1000;
    expect(after.value('clawmedic_time_to_recover_seconds_sum', { target: 'gw', class: cls })).toBeCloseTo(seconds, 3);
    expect(after.value('clawmedic_target_up', { target: 'gw' })).toBe(1);
    expect(after.value('clawmedic_probe_duration_seconds_count', { target: 'gw', result: 'ok' })).toBeGreaterThan(probes);
  });

  it('shows a target waiting for a person, its level and its failed probes', async () => {
    const m = await world.start({ mode: 'crash-on-start' });
    await m.waitStatus('waiting for a human', (s) => s.incident?.state === 'waiting_human');
    const s = await scrape(`http://127.0.0.1:${m.apiPort}/metrics`);
    expect(s.value('clawmedic_target_phase', { target: 'gw', phase: 'waiting-for-human' })).toBe(1);
    expect(s.value('clawmedic_target_up', { target: 'gw' })).toBeLessThan(1);
    expect(s.value('clawmedic_incident_level', { target: 'gw' })).toBe(4);
    for (const level of ['0', '2', '4']) expect(s.value('clawmedic_incident_level_reached_total', { target: 'gw', level })).toBe(1);
    expect(s.value('clawmedic_gateway_restarts_total', { target: 'gw' })).toBeGreaterThanOrEqual(4);
    expect(s.sum('clawmedic_incidents_closed_total')).toBe(0);
  });

  it('MEDIC_METRICS_LISTEN: a second listener serves /metrics and nothing else', async () => {
    const port = await freePort();
    const m = await world.start({ mode: 'ok' }, { MEDIC_METRICS_LISTEN: `127.0.0.1:${port}` });
    await m.waitStatus('healthy', healthyAndCalm);
    const s = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(s.value('clawmedic_target_up', { target: 'gw' })).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/status`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
