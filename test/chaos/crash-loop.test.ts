/**
 * A crash loop of the real OpenClaw: its first five starts fail at once with exit 1 and a line the
 * medic cannot name (a start-up script racing the boot, before its toolchain is there). The ladder
 * restarts with backoff, the circuit breaker opens after five failed starts, level 2 runs the real
 * `openclaw doctor --fix`, and the start that verifies it answers.
 * And the real CLI refusing Node 20 with no usable Node to retry with: a class only a person can fix
 * (issue 11): level 4 at once with the exact fix, and no restart loop.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shellQuote } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, classRow, expectResolved } from './harness.js';

const CRASHES = 5;

const world = new ChaosWorld();

/** `start-gateway.sh` in `dir` with these lines, as the gateway's command: the real CLI after it, on the test's port. */
function startScript(dir: string, gatewayPort: number, lines: string[]): string {
  const script = join(dir, 'start-gateway.sh');
  writeFileSync(script, ['#!/bin/sh', ...lines, ''].join('\n'));
  chmodSync(script, 0o755);
  return `${shellQuote(script)} gateway run --port ${gatewayPort} --bind loopback`;
}

describe.skipIf(!chaosConfigured)('a crash loop', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it(`a start that fails at once ${CRASHES} times: backoff, the breaker, doctor, then up`, async () => {
    const { node, openclaw } = world.install;
    const setup = await world.setup({
      command: ({ gatewayPort, dir }) =>
        startScript(dir, gatewayPort, [
          `# The first ${CRASHES} starts fail at once. Written as a user would: no exec, sh stays the gateway's parent.`,
          `n=$(( $(cat ${shellQuote(join(dir, 'starts'))} 2>/dev/null || echo 0) + 1 ))`,
          `echo "$n" > ${shellQuote(join(dir, 'starts'))}`,
          `if [ "$n" -le ${CRASHES} ]; then echo "start-gateway: toolchain not ready yet (start $n)" >&2; exit 1; fi`,
          `${shellQuote(node)} ${shellQuote(openclaw)} "$@"`,
        ]),
    });
    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const trace = world.trace(m);
    const r = await world.recovered(m, 'crash loop (5 failed starts)', { faultAt, before: new Set(), trace, note: 'fault = the medic starting' });

    expectResolved(r, {
      maxLevel: 2,
      cause: 'gateway exited with code 1',
      outcome: 'fixed by doctor',
      tried: ['doctor'],
      doctorRuns: 1,
      restarts: CRASHES, // 4 restarts in the loop, then the start that verifies the doctor
    });
    expect(r.texts.filter((t) => t === 'gateway exited with code 1 again')).toHaveLength(CRASHES - 1);
    expect(r.texts.filter((t) => t.startsWith('restarting in '))).toHaveLength(3);
    expect(r.texts).toContain(`level 2: circuit breaker open: ${CRASHES} failed starts within 120 s`);
    expect(r.texts).toContain('repair: doctor (run 1 of 2)');
    expect(r.texts.find((t) => t.startsWith('doctor finished: '))).toMatch(/^doctor finished: doctor exit 0 in [\d.]+ s; .*config validates$/);
    expect(r.texts).toContain('verifying doctor: starting the gateway');
    // The gateway that answers is the sixth start.
    expect(readFileSync(join(setup.dir, 'starts'), 'utf8').trim()).toBe(String(CRASHES + 1));
  });

  it("the real CLI refusing Node 20 with no usable Node: a person's step at once with the fix, no restart loop", async () => {
    const { openclaw } = world.install;
    const setup = await world.setup({
      command: ({ gatewayPort, dir }) =>
        startScript(dir, gatewayPort, [
          `echo start >> ${shellQuote(join(dir, 'starts'))}`,
          // The system's Node 20 and a PATH without Node 24: OpenClaw finds no usable Node to retry with.
          `PATH=${shellQuote(process.env.PATH ?? '/usr/bin:/bin')} ${shellQuote(process.execPath)} ${shellQuote(openclaw)} "$@"`,
        ]),
    });
    const faultAt = Date.now();
    const m = await world.startMedic(setup);
    const waiting = await world.waitStatus(m, 'a person asked about the Node', (t) => t.incident?.state === 'waiting_human', 120_000);
    const decidedMs = Date.now() - faultAt;
    const [inc] = await m.incidents();
    expect(inc!.failure).toMatchObject({ class: 'node-too-old' });
    expect(inc!.failure!.evidence.join('\n')).toContain('node:sqlite is unavailable');
    const starts = () => readFileSync(join(setup.dir, 'starts'), 'utf8').trim().split('\n').length;
    const before = starts();
    expect(before).toBeLessThanOrEqual(2);
    const { timeline } = await m.incident(inc!.id);
    expect(timeline.map((r) => r.text).join('\n')).toContain('install Node 24.16+ or 26.1+');
    // Thirty seconds later: no restart loop, the same question.
    await new Promise((r) => setTimeout(r, 30_000));
    expect(starts()).toBe(before);
    expect((await m.status()).incident).toMatchObject({ id: waiting.incident!.id, state: 'waiting_human' });
    world.record({
      scenario: 'the real CLI on Node 20 with no usable Node',
      faultToHealthyMs: decidedMs,
      faultToResolvedMs: null,
      floorMs: 0,
      incidents: [{ id: inc!.id, outcome: inc!.outcome, maxLevel: inc!.maxLevel }],
      timeline: timeline.map((r) => `+${((r.at - faultAt) / 1000).toFixed(1)}s [${r.kind}] ${r.text}`),
      note: `time = medic start to the level-4 notice with the fix (the right human step); ${before} start(s), none in the next 30 s`,
      classRow: classRow(inc!, timeline, {
        fault: "the real CLI run with this machine's Node 20 and no Node 24 on PATH",
        test: 'crash-loop.test.ts',
        ms: decidedMs,
        floorMs: null,
        note: `${before} start(s), none in the next 30 s`,
      }),
    });
  });
});
