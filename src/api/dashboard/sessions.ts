/**
 * Who is signed in to the dashboard: one-time links (printed by `clawmedic dashboard`, short-lived,
 * good for one sign-in) and sessions (a random token the page keeps in sessionStorage and sends in a
 * header; never a cookie). Both live in memory only: a restart of the medic signs everyone out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';

export interface DashboardAuthOptions {
  /** How long a one-time link can be used. Default 5 min. */
  linkTtlMs?: number;
  /** How long a session lasts from its sign-in. Default 12 h. */
  sessionTtlMs?: number;
  /** Links and sessions held at most; the oldest go first. Defaults 20 and 200. */
  maxLinks?: number;
  maxSessions?: number;
}

export const DefaultDashboardAuthOptions = {
  linkTtlMs: 5 * 60_000,
  sessionTtlMs: 12 * 60 * 60_000,
  maxLinks: 20,
  maxSessions: 200,
} as const satisfies Required<DashboardAuthOptions>;

export interface DashboardSession {
  /** Who acts, as the audit records it: `dashboard:<name>`. */
  operator: string;
  createdAt: number;
  expiresAt: number;
}

/** Why a sign-in failed, for the page and the audit (never which part of a secret was wrong). */
export type SignInResult = { ok: true; token: string; session: DashboardSession } | { ok: false; why: string };

/** A name an operator gives: letters, digits, space, `.`, `_`, `@`, `-` (at most 64). */
export const OPERATOR_NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u;

export class DashboardAuth {
  private readonly links = new Map<string, { operator: string; expiresAt: number }>();
  private readonly sessions = new Map<string, DashboardSession>();
  private readonly o: Required<DashboardAuthOptions>;

  constructor(
    private readonly apiToken: string,
    private readonly clock: Pick<Clock, 'now'>,
    options: DashboardAuthOptions = {},
  ) {
    this.o = { ...DefaultDashboardAuthOptions, ...options };
  }

  /** A one-time link's secret for `name` (the person who ran `clawmedic dashboard`). */
  createLink(name: string): { code: string; expiresAt: number } {
    this.sweep();
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now() + this.o.linkTtlMs;
    this.links.set(code, { operator: `dashboard:${name}`, expiresAt });
    trim(this.links, this.o.maxLinks);
    return { code, expiresAt };
  }

  /** Exchanges a one-time link for a session; the link is spent by the first try, good or late. */
  redeemLink(code: string): SignInResult {
    const link = this.links.get(code);
    this.links.delete(code);
    if (!link) return { ok: false, why: 'this sign-in link is not valid (already used, or from a medic that restarted): run clawmedic dashboard for a new one' };
    if (this.clock.now() >= link.expiresAt) return { ok: false, why: 'this sign-in link has expired: run clawmedic dashboard for a new one' };
    return this.open(link.operator);
  }

  /** Signs in with the local API's token (compared in constant time), as `dashboard:<name>`. */
  signInWithToken(token: string, name: string): SignInResult {
    const given = Buffer.from(token);
    const wanted = Buffer.from(this.apiToken);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return { ok: false, why: 'wrong API token (it is MEDIC_API_TOKEN, or the file <MEDIC_DATA_DIR>/api-token)' };
    }
    return this.open(`dashboard:${name}`);
  }

  /** The session a token names, or null (unknown or expired). */
  session(token: string | null): DashboardSession | null {
    if (!token) return null;
    const s = this.sessions.get(token);
    if (!s) return null;
    if (this.clock.now() >= s.expiresAt) {
      this.sessions.delete(token);
      return null;
    }
    return s;
  }

  signOut(token: string): void {
    this.sessions.delete(token);
  }

  private open(operator: string): SignInResult {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const session = { operator, createdAt: now, expiresAt: now + this.o.sessionTtlMs };
    this.sessions.set(token, session);
    trim(this.sessions, this.o.maxSessions);
    return { ok: true, token, session };
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, v] of this.links) if (now >= v.expiresAt) this.links.delete(k);
    for (const [k, v] of this.sessions) if (now >= v.expiresAt) this.sessions.delete(k);
  }
}

/** Drops the oldest entries (a Map iterates in insertion order) beyond `max`. */
function trim(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
