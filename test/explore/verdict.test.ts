/**
 * The explorer's rule "a config-only break never waits for a human" (verdict.ts), on synthetic incidents:
 * it must still catch a config-only wait for a person, and must not blame the medic for a crash loop.
 */
import { describe, expect, it } from 'vitest';
import type { Flags } from './faults.js';
import { HIT_LEAD_MS, HitLedger, HUMAN_GRACE_MS, wrongHumanWait, type HumanWaitFacts } from './verdict.js';

const T0 = 1_000_000;
const flags = (over: Partial<Flags> = {}): HumanWaitFacts['flags'] => ({
  configBroken: true,
  squatter: null,
  frozen: false,
  paused: false,
  denied: new Set<string>(),
  calmSince: T0,
  ...over,
});
/** gw-1 waits for a person, gateway down, config broken, known-good copy on disk, calm for longer than the grace. */
const facts = (over: Partial<HumanWaitFacts> = {}): HumanWaitFacts => ({
  now: T0 + HUMAN_GRACE_MS + 1_000,
  incident: { id: 'gw-1', state: 'waiting_human' },
  health: 'down',
  medicPaused: false,
  flags: flags(),
  hits: 0,
  knownGood: true,
  ...over,
});

describe('the explorer verdict on a wait for a human', () => {
  it('config only, known-good copy: a violation (also after one kill -9, which the known-good config recovers)', () => {
    expect(wrongHumanWait(facts())).toBe(true);
    expect(wrongHumanWait(facts({ hits: 1 }))).toBe(true);
  });

  it('config broken, then the gateway died again after it came back (a flap): no violation', () => {
    expect(wrongHumanWait(facts({ hits: 2 }))).toBe(false);
    expect(wrongHumanWait(facts({ hits: 4 }))).toBe(false);
  });

  it('no violation when the wait is a person\'s or something else is broken', () => {
    expect(wrongHumanWait(facts({ knownGood: false }))).toBe(false);
    expect(wrongHumanWait(facts({ incident: { id: 'gw-1', state: 'repairing' } }))).toBe(false);
    expect(wrongHumanWait(facts({ incident: null }))).toBe(false);
    expect(wrongHumanWait(facts({ health: 'up' }))).toBe(false);
    expect(wrongHumanWait(facts({ medicPaused: true }))).toBe(false);
    expect(wrongHumanWait(facts({ flags: flags({ configBroken: false }) }))).toBe(false);
    expect(wrongHumanWait(facts({ flags: flags({ frozen: true }) }))).toBe(false);
    expect(wrongHumanWait(facts({ flags: flags({ paused: true }) }))).toBe(false);
    expect(wrongHumanWait(facts({ flags: flags({ denied: new Set(['gw-1']) }) }))).toBe(false);
    expect(wrongHumanWait(facts({ flags: flags({ calmSince: T0 + 2_000 }) }))).toBe(false);
  });

  it('counts hits per incident: made while it was open, or just before it opened (or reopened)', () => {
    const ledger = new HitLedger();
    // Seed 342's shape: the config broken under a running gateway opens gw-1 (latent), a freeze hits it, then a
    // flap: each death comes after gw-1 resolved, and reopens it.
    ledger.record(T0, 'gw-1');
    expect(ledger.of('gw-1', T0 + 100)).toBe(1);
    ledger.record(T0 + 4_000, null);
    expect(ledger.of('gw-1', T0 + 4_300)).toBe(2);
    ledger.record(T0 + 6_000, null);
    expect(ledger.of('gw-1', T0 + 6_200)).toBe(3);
    // Counted once, however often the monitor looks.
    expect(ledger.of('gw-1', T0 + 6_400)).toBe(3);
    // Another incident starts from its own hits; a hit long before it opened is not its own.
    ledger.record(T0 + 10_000, null);
    expect(ledger.of('gw-2', T0 + 10_000 + HIT_LEAD_MS + 1)).toBe(0);
    ledger.record(T0 + 20_000, null);
    expect(ledger.of('gw-3', T0 + 20_300)).toBe(1);
  });
});
