/**
 * A crash loop of the real OpenClaw: its first five starts run it with the system's Node 20
 * (as after a PATH or nvm mix-up at boot, before the Node 24 toolchain is there); the real CLI
 * refuses that runtime and exits 1 at once. The ladder restarts with backoff, the circuit
 * breaker opens after five failed starts, level 2 runs the real `openclaw doctor --fix`
 * (with the Node 24 on PATH), and the start that verifies it gets Node 24 and answers.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shellQuote } from '../fixtures/gateways.js';
import { chaosConfigured, ChaosWorld, expectResolved } from './harness.js';

const CRASHES = 5;

const world = new ChaosWorld();

describe.skipIf(!chaosConfigured)('a crash loop', () => {
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it(`the real CLI refusing Node 20 on its first ${CRASHES} starts: backoff, the breaker, doctor, then up`, async () => {
    const { node, openclaw } = world.install;
    const setup = await world.setup({
      command: ({ gatewayPort, dir }) => {
        const script = join(dir, 'start-gateway.sh');
        writeFileSync(
          script,
          [
            '#!/bin/sh',
            `# The first ${CRASHES} starts get the wrong Node. Written as a user would: no exec, sh stays the gateway's parent.`,
            `n=$(( $(cat ${shellQuote(join(dir, 'starts'))} 2>/dev/null || echo 0) + 1 ))`,
            `echo "$n" > ${shellQuote(join(dir, 'starts'))}`,
            // Without Node 24 on PATH: OpenClaw would otherwise find it there and re-spawn itself with it.
            `if [ "$n" -le ${CRASHES} ]; then PATH=${shellQuote(process.env.PATH ?? '/usr/bin:/bin')} ${shellQuote(process.execPath)} ${shellQuote(openclaw)} "$@"; exit $?; fi`,
            `${shellQuote(node)} ${shellQuote(openclaw)} "$@"`,
            '',
          ].join('\n'),
        );
        chmodSync(script, 0o755);
        return `${shellQuote(script)} gateway run --port ${gatewayPort} --bind loopback`;
      },
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
    // The gateway that answers is the sixth start, the first on Node 24.
    expect(readFileSync(join(setup.dir, 'starts'), 'utf8').trim()).toBe(String(CRASHES + 1));
  });
});
