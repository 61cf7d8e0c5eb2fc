/**
 * What a page served on 127.0.0.1 must defend against: another site's page in the same browser.
 * DNS rebinding is refused by the server's Host check (server.ts) for every route; here: the headers
 * that keep the page unframed and its scripts its own (a strict CSP, no inline script), and the
 * cross-origin checks on the dashboard's API (its token travels in a header, never a cookie).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every dashboard answer (the page, its assets, its API). */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  res.setHeader('cache-control', 'no-store');
}

/**
 * Why a request to the dashboard's API comes from another site, or null. A browser names the
 * page that sent it (`Origin`, `Sec-Fetch-Site`); a request from outside a browser (the CLI)
 * names none and still needs its token.
 */
export function crossSiteReason(req: IncomingMessage): string | null {
  const origin = req.headers.origin;
  const host = (req.headers.host ?? '').toLowerCase();
  // https: the page came through a TLS proxy under an allowed name (the Host check already passed).
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}` && origin.toLowerCase() !== `https://${host}`) {
    return `cross-origin request refused (Origin ${origin} is not http://${host})`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request refused (Sec-Fetch-Site: ${String(site)})`;
  }
  return null;
}

/** The session token from `Authorization: Bearer <token>`, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
}
