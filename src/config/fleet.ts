/**
 * Fleet mode (docs/fleet.md): several medics, one bot, coordinated through etcd. Opt-in: with
 * FLEET_ETCD_ENDPOINTS unset the medic runs alone, exactly as without this file, and etcd is
 * never loaded. Every problem says how to fix it, as the rest of the config does.
 */
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

/** The fleet settings; null when FLEET_ETCD_ENDPOINTS is unset. */
export interface FleetConfig {
  /** etcd client URLs, e.g. `https://10.0.0.1:2379`. */
  endpoints: string[];
  /** The fleet's name: its keys live under `clawmedic/<name>/` in etcd. */
  name: string;
  /** This host's name in the fleet (default: the machine's host name). */
  host: string;
  /** Lease time to live in seconds: a host not heard from for this long is lost; a leader is replaced within it. */
  leaseTtlS: number;
  /** TLS: CA, client certificate and key files (PEM); null: plain http endpoints. */
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  /** etcd user/password authentication; null: none. */
  username: string | null;
  password: string | null;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

/** The variables fleet mode reads, for docs, `check-config` and the typo check. */
export const FLEET_VARIABLES = [
  { name: 'FLEET_ETCD_ENDPOINTS', default: null },
  { name: 'FLEET_NAME', default: 'clawmedic' },
  { name: 'FLEET_HOST', default: '(host name)' },
  { name: 'FLEET_LEASE_TTL_S', default: 10 },
  { name: 'FLEET_ETCD_CA_FILE', default: null },
  { name: 'FLEET_ETCD_CERT_FILE', default: null },
  { name: 'FLEET_ETCD_KEY_FILE', default: null },
  { name: 'FLEET_ETCD_USERNAME', default: null },
  { name: 'FLEET_ETCD_PASSWORD', default: null },
];

const endpoint = z.url({ protocol: /^https?$/ });

/** The machine's name as a fleet host name: letters, digits, - and _ only. */
export function defaultHostName(name = hostname()): string {
  const cleaned = name.split('.')[0]!.replace(/[^a-z0-9_-]/gi, '-').replace(/^-+/, '').slice(0, 32);
  return cleaned || 'host';
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Reads the fleet settings from `env`; each problem is pushed with its fix. Null: fleet mode is off. */
export function loadFleet(env: NodeJS.ProcessEnv, problems: string[]): FleetConfig | null {
  const raw = (k: string) => env[k]?.trim() || null;
  const list = raw('FLEET_ETCD_ENDPOINTS');
  if (!list) {
    const stray = FLEET_VARIABLES.map((v) => v.name).filter((k) => k !== 'FLEET_ETCD_ENDPOINTS' && raw(k));
    if (stray.length) problems.push(`${stray.join(', ')} set but FLEET_ETCD_ENDPOINTS is not: set it (e.g. http://127.0.0.1:2379) to join a fleet, or unset them`);
    return null;
  }
  const endpoints = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of endpoints) {
    if (!endpoint.safeParse(e).success) problems.push(`FLEET_ETCD_ENDPOINTS has '${e}', not an http(s) URL: give etcd client URLs such as https://10.0.0.1:2379, comma-separated`);
  }
  const name = raw('FLEET_NAME') ?? 'clawmedic';
  if (!NAME.test(name)) problems.push(`FLEET_NAME '${name}' may hold only letters, digits, - and _ (at most 32): fix it in .env`);
  const host = raw('FLEET_HOST') ?? defaultHostName();
  if (!NAME.test(host)) problems.push(`FLEET_HOST '${host}' may hold only letters, digits, - and _ (at most 32): fix it in .env`);
  const ttlText = raw('FLEET_LEASE_TTL_S') ?? '10';
  const leaseTtlS = Number(ttlText);
  if (!Number.isInteger(leaseTtlS) || leaseTtlS < 2 || leaseTtlS > 300) {
    problems.push(`FLEET_LEASE_TTL_S must be a whole number of seconds from 2 to 300 (got '${ttlText}'): fix it in .env (default 10)`);
  }
  const caFile = raw('FLEET_ETCD_CA_FILE');
  const certFile = raw('FLEET_ETCD_CERT_FILE');
  const keyFile = raw('FLEET_ETCD_KEY_FILE');
  if ((certFile === null) !== (keyFile === null)) {
    problems.push('FLEET_ETCD_CERT_FILE and FLEET_ETCD_KEY_FILE go together (a client certificate and its key): set both or neither');
  }
  if ((certFile || caFile) && endpoints.some((e) => e.startsWith('http:'))) {
    problems.push('FLEET_ETCD_CA_FILE/CERT_FILE are set but an endpoint is http://: use https:// endpoints with TLS');
  }
  for (const [name, file] of [['FLEET_ETCD_CA_FILE', caFile], ['FLEET_ETCD_CERT_FILE', certFile], ['FLEET_ETCD_KEY_FILE', keyFile]] as const) {
    if (file && !readable(file)) problems.push(`${name} ${file} cannot be read: give the path of a PEM file the medic's user may read`);
  }
  const username = raw('FLEET_ETCD_USERNAME');
  const password = raw('FLEET_ETCD_PASSWORD');
  if ((username === null) !== (password === null)) {
    problems.push('FLEET_ETCD_USERNAME and FLEET_ETCD_PASSWORD go together: set both or neither');
  }
  return { endpoints, name, host, leaseTtlS, caFile, certFile, keyFile, username, password };
}
