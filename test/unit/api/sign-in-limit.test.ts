/** How often a secret may be tried: per address with a doubling wait, a ceiling for everyone, one audit per burst. */
import { describe, expect, it } from 'vitest';
import { DefaultSignInLimitOptions, SignInLimiter } from '../../../src/api/dashboard/sign-in-limit.js';
import { SimClock } from '../../fixtures/sim-clock.js';

function failTimes(l: SignInLimiter, address: string, n: number): void {
  for (let i = 0; i < n; i++) l.failed(address);
}

describe('SignInLimiter: one address', () => {
  it('4 wrong tries are free; the 5th makes it wait 2 s, then 4, 8 ... up to 15 min', async () => {
    const clock = new SimClock();
    const l = new SignInLimiter(clock);
    failTimes(l, 'a', 4);
    expect(l.check('a')).toBeNull();
    l.failed('a');
    expect(l.check('a')).toEqual({ retryAfterMs: 2_000, scope: 'address', failures: 5, firstOfBurst: true });
    await clock.advance(1_500);
    expect(l.check('a')).toEqual({ retryAfterMs: 500, scope: 'address', failures: 5, firstOfBurst: false });
    await clock.advance(500);
    expect(l.check('a')).toBeNull();
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      l.failed('a');
      const r = l.check('a')!;
      expect(r.firstOfBurst).toBe(true);
      waits.push(r.retryAfterMs);
      await clock.advance(r.retryAfterMs);
    }
    expect(waits).toEqual([4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 512_000, 900_000, 900_000, 900_000, 900_000]);
  });

  it('another address is not held up; a good sign-in, or an hour without a wrong try, starts afresh', async () => {
    const clock = new SimClock();
    const l = new SignInLimiter(clock);
    failTimes(l, 'a', 5);
    expect(l.check('a')).not.toBeNull();
    expect(l.check('b')).toBeNull();
    await clock.advance(2_000);
    l.succeeded('a');
    failTimes(l, 'a', 4);
    expect(l.check('a')).toBeNull();
    await clock.advance(DefaultSignInLimitOptions.forgetAfterMs);
    failTimes(l, 'a', 4);
    expect(l.check('a')).toBeNull();
  });
});

describe('SignInLimiter: everyone together', () => {
  it('30 wrong tries within a minute from 30 addresses hold every sign-in for a minute, announced once', async () => {
    const clock = new SimClock();
    const l = new SignInLimiter(clock);
    for (let i = 0; i < 29; i++) {
      l.failed(`10.0.0.${i}`);
      await clock.advance(1_000);
    }
    expect(l.check('fresh')).toBeNull();
    l.failed('10.0.1.1');
    expect(l.check('fresh')).toEqual({ retryAfterMs: 60_000, scope: 'everyone', failures: 30, firstOfBurst: true });
    expect(l.check('10.0.0.3')).toMatchObject({ scope: 'everyone', firstOfBurst: false });
    await clock.advance(60_000);
    expect(l.check('fresh')).toBeNull();
  });

  it('the same tries spread over more than a minute do not', async () => {
    const clock = new SimClock();
    const l = new SignInLimiter(clock);
    for (let i = 0; i < 40; i++) {
      l.failed(`10.0.0.${i}`);
      await clock.advance(2_100);
    }
    expect(l.check('fresh')).toBeNull();
  });

  it('remembers at most maxAddresses, dropping the quietest', () => {
    const l = new SignInLimiter(new SimClock(), { maxAddresses: 2, freeFailures: 1, globalFailures: 1_000 });
    l.failed('a');
    l.failed('b');
    l.failed('c');
    expect(l.check('a')).toBeNull();
    expect(l.check('b')).not.toBeNull();
    expect(l.check('c')).not.toBeNull();
  });
});
