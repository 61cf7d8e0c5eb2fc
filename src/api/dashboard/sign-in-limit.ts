/**
 * How often the dashboard lets anyone try a secret (the API token, a one-time link): a few wrong
 * tries per remote address, then a wait that doubles with every further wrong one; and a ceiling on
 * wrong tries from everyone together, for guesses spread over many addresses. A refusal says how
 * long to wait (429, Retry-After) and is audited once per burst, not once per try. In memory, on the
 * injected clock: a restart of the medic forgets it (and signs everyone out too).
 */
import type { Clock } from '../../lib/clock.js';

export interface SignInLimitOptions {
  /** Wrong tries an address may make before it waits. */
  freeFailures?: number;
  /** The first wait after them; it doubles with each further wrong try, up to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Wrong tries from all addresses together within `globalWindowMs` before every sign-in waits `globalBlockMs`. */
  globalFailures?: number;
  globalWindowMs?: number;
  globalBlockMs?: number;
  /** An address with no wrong try for this long starts afresh. */
  forgetAfterMs?: number;
  /** Addresses remembered at most (the oldest go first). */
  maxAddresses?: number;
}

export const DefaultSignInLimitOptions = {
  /** Default 5 wrong tries free. */
  freeFailures: 5,
  /** Default 2 s, doubling to 15 min. */
  minBackoffMs: 2_000,
  maxBackoffMs: 15 * 60_000,
  /** Default 30 wrong tries a minute from everyone, then 1 min for all. */
  globalFailures: 30,
  globalWindowMs: 60_000,
  globalBlockMs: 60_000,
  /** Default 1 h. */
  forgetAfterMs: 3_600_000,
  /** Default 1,000. */
  maxAddresses: 1_000,
} as const satisfies Required<SignInLimitOptions>;

/** A refused try: how long to wait, whose tries caused it, and whether it is the first refusal of its burst (audit it). */
export interface SignInRefusal {
  retryAfterMs: number;
  scope: 'address' | 'everyone';
  /** Wrong tries that led to it (the address's, or everyone's within the window). */
  failures: number;
  firstOfBurst: boolean;
}

interface AddressState {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
  announced: boolean;
}

export class SignInLimiter {
  private readonly o: Required<SignInLimitOptions>;
  private readonly addresses = new Map<string, AddressState>();
  private recent: number[] = [];
  private globalUntil = 0;
  private globalAnnounced = true;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    options: SignInLimitOptions = {},
  ) {
    this.o = { ...DefaultSignInLimitOptions, ...options };
  }

  /** Null when `address` may try now; else why not and for how long. */
  check(address: string): SignInRefusal | null {
    const now = this.clock.now();
    if (now < this.globalUntil) {
      const firstOfBurst = !this.globalAnnounced;
      this.globalAnnounced = true;
      return { retryAfterMs: this.globalUntil - now, scope: 'everyone', failures: this.recent.length, firstOfBurst };
    }
    const s = this.state(address, now);
    if (!s || now >= s.blockedUntil) return null;
    const firstOfBurst = !s.announced;
    s.announced = true;
    return { retryAfterMs: s.blockedUntil - now, scope: 'address', failures: s.failures, firstOfBurst };
  }

  /** A wrong token or link from `address`. */
  failed(address: string): void {
    const now = this.clock.now();
    const s = this.state(address, now) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0, announced: true };
    s.failures += 1;
    s.lastFailureAt = now;
    if (s.failures >= this.o.freeFailures) {
      const wait = Math.min(this.o.maxBackoffMs, this.o.minBackoffMs * 2 ** Math.min(s.failures - this.o.freeFailures, 30));
      s.blockedUntil = now + wait;
      s.announced = false;
    }
    // Re-inserted: the Map's order is the order of last failure, so the trim drops the quietest.
    this.addresses.delete(address);
    this.addresses.set(address, s);
    for (const key of this.addresses.keys()) {
      if (this.addresses.size <= this.o.maxAddresses) break;
      this.addresses.delete(key);
    }
    this.recent = [...this.recent.filter((t) => now - t < this.o.globalWindowMs), now];
    if (this.recent.length >= this.o.globalFailures && now >= this.globalUntil) {
      this.globalUntil = now + this.o.globalBlockMs;
      this.globalAnnounced = false;
    }
  }

  /** A good sign-in: the address starts afresh. */
  succeeded(address: string): void {
    this.addresses.delete(address);
  }

  private state(address: string, now: number): AddressState | undefined {
    const s = this.addresses.get(address);
    if (s && now >= s.blockedUntil && now - s.lastFailureAt >= this.o.forgetAfterMs) {
      this.addresses.delete(address);
      return undefined;
    }
    return s;
  }
}
