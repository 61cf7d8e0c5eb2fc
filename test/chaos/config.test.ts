/**
 * Broken configs against the real OpenClaw gateway: what the article's Test 2 did (gateway.mode
 * deleted, then kill -9), invalid JSON, a non-numeric port (doctor cannot fix either of the
 * last two kinds the way a restore does), the same broken file answered by an operator while
 * the gateway still runs, and gateway.mode deleted while everything was stopped (a reboot).
 * One isolated gateway; every scenario starts from a healthy, calm medic and the good config.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LadderRecord } from '../../src/recovery/types.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { brokenCopies, type ChaosSetup, chaosConfigured, ChaosWorld, expectResolved, type InProcessMedic, type Recovery, writeConfig } from './harness.js';

const world = new ChaosWorld();
let setup: ChaosSetup;
let m: InProcessMedic;
let good: string;

/** The good config with `edit` applied, as text. */
function goodWith(edit: (doc: { gateway: Record<string, unknown> }) => void): string {
  const doc = JSON.parse(good) as { gateway: Record<string, unknown> };
  edit(doc);
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Nobody was asked to act, and nothing reached level 4. */
function expectNoHuman(records: LadderRecord[]): void {
  expect(records.filter((r) => r.kind === 'human' || r.kind === 'operator').map((r) => r.text)).toEqual([]);
}

/** The restore put the good config back and kept exactly one new broken copy holding `brokenText`. */
function expectRestored(r: Recovery, copiesBefore: string[], brokenText: string): void {
  expect(readFileSync(setup.configPath, 'utf8')).toBe(good);
  const fresh = brokenCopies(setup).filter((f) => !copiesBefore.includes(f));
  expect(fresh).toHaveLength(1);
  expect(readFileSync(fresh[0]!, 'utf8')).toBe(brokenText);
  expect(r.texts).toContain('repair: restore-config');
  const finished = r.texts.find((t) => t.startsWith('restore-config finished: restored '));
  expect(finished).toContain(`kept the replaced file as ${fresh[0]}`);
  // OpenClaw's own validation runs beside the verifying start (issue 10): its verdict is a line of its own.
  expect(finished).toContain('runs beside the verifying start');
}

/** OpenClaw's `config validate` verdicts on a restored file this medic logged (in the incident, or after it resolved). */
const validations = (medic: InProcessMedic): number =>
  medic.log.entries.filter((e) => /restore-config checked: openclaw config validate: ok$/.test(e.msg)).length;
/** The verdicts logged before the current test, by the medic of that time. */
let validatedBefore: { medic: InProcessMedic | undefined; n: number } = { medic: undefined, n: 0 };
beforeEach(() => {
  validatedBefore = { medic: m, n: m ? validations(m) : 0 };
});

/** OpenClaw's own validation said yes to the restored file: one more verdict than before the test. */
async function expectValidated(): Promise<void> {
  const before = validatedBefore.medic === m ? validatedBefore.n : 0;
  await waitFor(() => validations(m) > before, { timeoutMs: 60_000, what: 'the verdict of `openclaw config validate` on the restored file' });
}

/**
 * Breaks the config under the running gateway, waits until the medic has opened its latent
 * incident (the gateway still answers, with the old config in memory), then kill -9s it.
 */
async function breakThenKill(scenario: string, brokenText: string): Promise<Recovery> {
  const victim = await world.waitCalm(m, `${scenario}: healthy before`);
  const before = await world.incidentIds(m);
  const copies = brokenCopies(setup);
  writeConfig(setup, brokenText);
  const latent = await world.waitStatus(m, `${scenario}: the latent incident`, (t) => t.incident?.approval?.kind === 'restore-config', 30_000);
  expect(latent.pid).toBe(victim.pid);
  const trace = world.trace(m);
  await waitFor(() => trace.isUp(), { what: 'the gateway still answering with the broken file on disk' });
  const faultAt = Date.now();
  process.kill(victim.pid!, 'SIGKILL');
  const r = await world.recovered(m, scenario, { faultAt, before, trace, note: 'fault = the kill -9; the file was broken just before' });
  expect(r.calm.pid).not.toBe(victim.pid);
  expectResolved(r, { maxLevel: 2, outcome: 'fixed by restore-config', latent: true, doctorRuns: 0 });
  expect(r.texts[0]).toMatch(/^the config on disk is broken while the gateway runs: /);
  expect(r.texts).toContain('gateway was killed by SIGKILL again');
  expectRestored(r, copies, brokenText);
  await expectValidated();
  expectNoHuman(r.records);
  return r;
}

describe.skipIf(!chaosConfigured)('broken configs: restored from the medic\'s own known-good copy, with no AI and no human', () => {
  beforeAll(async () => {
    setup = await world.setup();
    const startedAt = Date.now();
    m = await world.startMedic(setup);
    await world.firstStart(m, 'first start (config file)', startedAt);
    good = readFileSync(setup.configPath, 'utf8');
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await world.dump();
  });
  afterAll(() => world.cleanup());

  it('gateway.mode deleted while running, then kill -9 (the article\'s Test 2)', async () => {
    const scenario = 'mode deleted while running';
    const victim = await world.waitCalm(m, `${scenario}: healthy before`);
    const before = await world.incidentIds(m);
    const copies = brokenCopies(setup);
    const broken = goodWith((d) => delete d.gateway['mode']);
    const trace = world.trace(m);
    await waitFor(() => trace.isUp(), { what: 'the trace to see the gateway up' });
    const faultAt = Date.now();
    writeConfig(setup, broken);
    // The medic sees the broken file under the running gateway at once: a latent incident.
    await world.waitStatus(m, `${scenario}: the latent incident`, (t) => t.incident?.approval?.kind === 'restore-config', 30_000);
    // OpenClaw applies a mode change by restarting in-process, and its /healthz refuses
    // connections meanwhile: the medic counts those failed probes against the open incident,
    // stops it and restores before its next cold start. Should OpenClaw instead come back on
    // its own with the file still broken, the article's kill -9 makes the next start read it.
    const settled = await waitFor(
      () => {
        const t = m.now();
        const resolved = t.incident === null && t.health === 'up';
        const cameBackBroken = t.incident?.approval?.kind === 'restore-config' && t.health === 'up' && Date.now() - faultAt > 30_000;
        return resolved || cameBackBroken ? t : null;
      },
      { timeoutMs: 180_000, intervalMs: 200, what: `${scenario}: restored, or back on its own with the file broken` },
    );
    const killed = settled.incident !== null;
    if (killed) process.kill(settled.pid!, 'SIGKILL');
    const r = await world.recovered(m, scenario, {
      faultAt,
      before,
      trace,
      note: killed ? 'fault = the edit; OpenClaw came back on its own, then kill -9' : 'fault = the edit; restored during OpenClaw\'s own restart',
    });
    expectResolved(r, { maxLevel: 2, outcome: 'fixed by restore-config', latent: true, doctorRuns: 0 });
    expect(r.texts[0]).toMatch(/gateway\.mode: missing/);
    // Either way the gateway that answers now was cold-started from the restored file.
    expect(r.calm.pid).not.toBe(victim.pid);
    expect(r.calm.startedAt).toBeGreaterThan(faultAt);
    expectRestored(r, copies, broken);
    await expectValidated();
    expectNoHuman(r.records);
  });

  it('invalid JSON while running (the gateway ignores it), then kill -9: exit 78, restored', async () => {
    await breakThenKill('invalid JSON + kill -9', good.slice(0, Math.floor(good.length / 2)));
  });

  it('gateway.port "abc" while running, then kill -9: exit 78, restored (doctor cannot fix it)', async () => {
    await breakThenKill('port "abc" + kill -9', goodWith((d) => (d.gateway['port'] = 'abc')));
  });

  it('invalid JSON while running, the restore approved by a person: fixed without a restart', async () => {
    const scenario = 'invalid JSON, restore approved';
    const victim = await world.waitCalm(m, `${scenario}: healthy before`);
    const before = await world.incidentIds(m);
    const copies = brokenCopies(setup);
    const broken = '{ "gateway": { "mode": "local", ';
    const trace = world.trace(m);
    await waitFor(() => trace.isUp(), { what: 'the trace to see the gateway up' });
    const faultAt = Date.now();
    writeConfig(setup, broken);
    const asking = await world.waitStatus(m, `${scenario}: the question`, (t) => t.incident?.approval?.kind === 'restore-config', 30_000);
    expect(asking.incident!.approval!.question).toMatch(/^The config on disk is broken \(.*not valid JSON5/);
    await m.target().decide(null, true, 'chaos');
    const r = await world.recovered(m, scenario, { faultAt, before, trace, note: 'fault = the edit; approved at once' });
    expect(r.calm.pid).toBe(victim.pid); // no restart
    expectResolved(r, { maxLevel: 2, restarts: 0, latent: true });
    // Resolved by whichever comes first: the restore's result, or the next probe's look at the
    // file (valid again) while `openclaw config validate` still runs.
    expect(r.incidents[0]!.outcome).toBe('fixed by restore-config'); // the restore's own result closes it
    expect(r.texts).toContain('chaos approved: restore the last-known-good config');
    expect(r.texts).toContain('repair: restore-config');
    expect(readFileSync(setup.configPath, 'utf8')).toBe(good);
    const fresh = brokenCopies(setup).filter((f) => !copies.includes(f));
    expect(fresh.map((f) => readFileSync(f, 'utf8'))).toEqual([broken]);
    expect(r.records.filter((x) => x.kind === 'human')).toEqual([]);
  });

  it('gateway.mode deleted while everything was stopped (a reboot): the next medic restores it', async () => {
    const scenario = 'mode deleted while stopped (reboot)';
    const victim = await world.waitCalm(m, `${scenario}: healthy before`);
    const before = await world.incidentIds(m);
    const copies = brokenCopies(setup);
    await world.stopMedic(m); // as its service manager would: the gateway stops with it
    await waitFor(() => !isAlive(victim.pid!), { what: 'the gateway to stop with its medic' });
    const broken = goodWith((d) => delete d.gateway['mode']);
    writeConfig(setup, broken);

    const faultAt = Date.now();
    m = await world.startMedic(setup);
    const trace = world.trace(m);
    const r = await world.recovered(m, scenario, { faultAt, before, trace, note: 'fault = the medic starting on the broken file' });
    expectResolved(r, {
      maxLevel: 2,
      cause: 'gateway exited with code 78 (bad config)',
      outcome: 'fixed by restore-config',
      doctorRuns: 0,
    });
    expect(r.texts).toContain('level 2: exit 78: the gateway refuses its config; not restarting blindly');
    expect(r.texts.find((t) => t.startsWith('diagnosis: '))).toMatch(/^diagnosis: config invalid: .*gateway\.mode: missing.*; last-known-good config differs/);
    expectRestored(r, copies, broken);
    await expectValidated();
    expectNoHuman(r.records);
  });
});
