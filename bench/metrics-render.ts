/**
 * `/metrics` render time with many targets and many incidents: the collector is fed 10,000
 * incidents (opened, escalated, closed, over 50 targets and every failure class) through the
 * medic's events, then the exposition is rendered `--rounds` times. Counters are labelled by
 * class and level, not by incident, so the size of the history does not grow the page (targets x
 * classes does); reported beside the render of 1 target with no history, and as their ratio.
 *
 *   npx vite-node bench/metrics-render.ts [--rounds 50]
 */
import { parseArgs } from 'node:util';
import { createMedicMetrics, MetricsCollector } from '../src/observe/metrics/index.js';
import { MedicEvents } from '../src/recovery/events.js';
import type { FailureClassName, Incident, TargetStatus } from '../src/recovery/types.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '50' } } });
const ROUNDS = Number(values.rounds);
const CLASSES: FailureClassName[] = ['crash', 'hang', 'config', 'port', 'plugin-crash', 'out-of-memory', 'stale-lock', 'channel', 'provider-auth'];

function status(name: string, i: number): TargetStatus {
  return {
    name, supervised: true, agent: true, phase: i % 7 === 0 ? 'restarting' : 'healthy', health: 'up', process: 'running', pid: 1000 + i,
    startedAt: 0, restarts: i, paused: false, pausedUntil: null, pending: null, restartAt: null,
    lastProbe: { ok: true, at: i, latencyMs: 3 + (i % 10), status: 200, error: null }, incident: null,
  };
}

function world(targets: number, incidents: number) {
  const events = new MedicEvents();
  const statuses = Array.from({ length: targets }, (_, i) => status(`gw${i}`, i));
  const c = new MetricsCollector(createMedicMetrics(), { statuses: () => statuses, discord: () => null, now: () => Date.now() }, 'bench');
  c.attach(events);
  for (let n = 0; n < incidents; n++) {
    const target = `gw${n % targets}`;
    const base: Incident = {
      id: `${target}-${n}`, target, openedAt: n * 1000, closedAt: null, cause: 'x', state: 'recovering', level: 0, maxLevel: 0, restarts: 1,
      doctorRuns: 0, tried: [], verifying: null, lastDiagnosis: null, retryAt: null, approval: null, outcome: null,
    };
    const failure = { class: CLASSES[n % CLASSES.length]!, culprit: null, evidence: [], summary: '' };
    const maxLevel = (n % 5) as Incident['maxLevel'];
    events.emit('incident', base, null);
    events.emit('incident', { ...base, level: maxLevel, maxLevel, failure }, null);
    events.emit('incident', { ...base, level: maxLevel, maxLevel, failure, state: 'resolved', closedAt: n * 1000 + 5000 + (n % 300) * 1000 }, null);
    events.emit('status', { ...statuses[n % targets]!, lastProbe: { ok: true, at: n, latencyMs: n % 50, status: 200, error: null } });
  }
  return c;
}

async function time(c: MetricsCollector): Promise<{ medianMs: number; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    bytes = (await c.render()).body.length;
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { medianMs: ms[Math.floor(ms.length / 2)]!, bytes };
}

const small = await time(world(1, 0));
const big = await time(world(50, 10_000));
console.log('| world | median render (ms) | page (KiB) |');
console.log('|---|---|---|');
console.log(`| 1 target, no incidents | ${small.medianMs.toFixed(2)} | ${(small.bytes / 1024).toFixed(1)} |`);
console.log(`| 50 targets, 10,000 incidents | ${big.medianMs.toFixed(2)} | ${(big.bytes / 1024).toFixed(1)} |`);
console.log(`ratio ${(big.medianMs / small.medianMs).toFixed(1)}`);
