/**
 * A degraded event loop on the real OpenClaw gateway: a plugin blocks the gateway's event loop 1.2 s of
 * every 1.7 s while a switch file exists. `/healthz` keeps answering (slowly), so liveness sees nothing;
 * OpenClaw's own `/readyz` says `eventLoop.degraded` with its figures. With EVENT_LOOP_ACTION=report the
 * medic opens one incident with those figures for a person, and does not restart the gateway; when the
 * plugin stops blocking, the next reading resolves it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chaosConfigured, ChaosWorld, classRow } from './harness.js';
import { pluginsSection, writeBlockPlugin, writeGatewayConfig } from './vitals-fixtures.js';

const world = new ChaosWorld();
const DEGRADED_MS = 15_000;
const BLOCK_MS = 1_200;
const FREE_MS = 500;

describe.skipIf(!chaosConfigured)('a degraded event loop', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it("blocked by a plugin: an incident with OpenClaw's own figures for a person (EVENT_LOOP_ACTION=report), no restart; resolved when it stops", async () => {
    const setup = await world.setup({
      env: {
        EVENT_LOOP_DEGRADED_MS: String(DEGRADED_MS),
        EVENT_LOOP_ACTION: 'report',
        VITALS_INTERVAL_MS: '2000',
        // Slack for a loaded machine; a blocked loop delays each answer by up to 1.2 s, which is not a hang.
        STARTUP_GRACE_MS: '180000',
        PROBE_INTERVAL_MS: '5000',
        PROBE_TIMEOUT_MS: '4000',
      },
    });
    const switchFile = join(setup.dir, 'block-now');
    const dir = writeBlockPlugin(join(setup.dir, 'plugins'), 'blocker', switchFile, BLOCK_MS, FREE_MS);
    writeGatewayConfig(setup, pluginsSection({ blocker: dir }));
    const m = await world.startMedic(setup);
    const humans: { at: number; summary: string }[] = [];
    m.running.events.on('human', (e) => humans.push({ at: Date.now(), summary: e.summary }));
    const { calm, floorMs } = await world.startUp(m, 'event loop');
    const before = { pid: calm.pid, restarts: calm.restarts };

    const faultAt = Date.now();
    writeFileSync(switchFile, String(faultAt));
    const waiting = await world.waitStatus(m, "a person's step for the event loop", (t) => t.incident?.state === 'waiting_human', 180_000);
    const openedAt = Date.now();
    const [inc] = await m.incidents();
    expect(inc!.failure).toMatchObject({ class: 'event-loop', culprit: null });
    // OpenClaw's own figures, as its /readyz gave them: delay p99 over its 1 s threshold, the utilisation, its reason.
    const evidence = inc!.failure!.evidence.join('\n');
    expect(evidence).toMatch(/^OpenClaw \/readyz eventLoop: delay p99 \d+ ms, max \d+ ms, utilisation \d+%, degraded for \d+ s \(.*event_loop_delay.*\)$/);
    const p99 = Number(/delay p99 (\d+) ms/.exec(evidence)![1]);
    expect(p99).toBeGreaterThanOrEqual(1_000);
    expect(waiting.readiness?.eventLoop).toMatchObject({ degraded: true });
    expect(humans).toHaveLength(1);
    expect(humans[0]!.summary).toMatch(/^the gateway's event loop is degraded \(delay p99 \d+ ms.*\); a plugin or a task may block it/);
    // Acted on only as configured: reported, the gateway neither stopped nor restarted; no second notice.
    await new Promise((r) => setTimeout(r, 10_000));
    const still = await m.status();
    expect({ pid: still.pid, restarts: still.restarts, incident: still.incident?.id, humans: humans.length }).toEqual({ ...before, incident: inc!.id, humans: 1 });

    const fixAt = Date.now();
    rmSync(switchFile);
    const after = await world.waitCalm(m, 'the event loop healthy again', 120_000);
    expect({ pid: after.pid, restarts: after.restarts }).toEqual(before);
    const [closed] = await m.incidents();
    expect(closed).toMatchObject({ id: inc!.id, state: 'resolved', maxLevel: 4, restarts: 0, outcome: 'the event loop is healthy again' });
    const { timeline } = await m.incident(inc!.id);
    world.record({
      scenario: `event loop blocked ${BLOCK_MS / 1000} s of every ${(BLOCK_MS + FREE_MS) / 1000} s (EVENT_LOOP_ACTION=report)`,
      faultToHealthyMs: 0,
      faultToResolvedMs: (closed!.closedAt ?? fixAt) - faultAt,
      floorMs: 0,
      incidents: [{ id: closed!.id, outcome: closed!.outcome, maxLevel: closed!.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - faultAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      classRow: classRow(closed!, timeline, {
        fault: `a plugin blocks the event loop ${BLOCK_MS / 1000} s of every ${(BLOCK_MS + FREE_MS) / 1000} s (\`EVENT_LOOP_ACTION=report\`)`,
        test: 'event-loop.test.ts',
        ms: inc!.openedAt - faultAt,
        floorMs,
        note: `no restart; resolved ${(((closed!.closedAt ?? fixAt) - fixAt) / 1000).toFixed(1)} s after the blocking stopped`,
      }),
      note: `fault = blocking starts; the person's step +${((inc!.openedAt - faultAt) / 1000).toFixed(1)} s (seen +${((openedAt - faultAt) / 1000).toFixed(1)} s; EVENT_LOOP_DEGRADED_MS=${DEGRADED_MS}); blocking stopped +${((fixAt - faultAt) / 1000).toFixed(1)} s, resolved ${(((closed!.closedAt ?? fixAt) - fixAt) / 1000).toFixed(1)} s later; no restart; ${evidence}`,
    });
  });
});
