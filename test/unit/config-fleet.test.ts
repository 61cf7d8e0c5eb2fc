import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const base = { HOME: '/home/x', PATH: '/usr/bin' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env }, '/tmp');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('fleet settings', () => {
  it('are off (null) without FLEET_ETCD_ENDPOINTS, also with the empty values of a copied .env.example', () => {
    expect(loadConfig(base, '/tmp').fleet).toBeNull();
    expect(loadConfig({ ...base, FLEET_ETCD_ENDPOINTS: '', FLEET_NAME: '', FLEET_ETCD_PASSWORD: '' }, '/tmp').fleet).toBeNull();
  });

  it('are read with their defaults when FLEET_ETCD_ENDPOINTS is set', () => {
    const c = loadConfig({ ...base, FLEET_ETCD_ENDPOINTS: 'http://10.0.0.1:2379, http://10.0.0.2:2379', FLEET_HOST: 'b' }, '/tmp');
    expect(c.fleet).toEqual({
      endpoints: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      name: 'clawmedic',
      host: 'b',
      leaseTtlS: 10,
      caFile: null,
      certFile: null,
      keyFile: null,
      username: null,
      password: null,
    });
  });

  it('say how to fix each problem, never echoing the password', () => {
    expect(problems({ FLEET_NAME: 'x' })).toEqual([
      'FLEET_NAME set but FLEET_ETCD_ENDPOINTS is not: set it (e.g. http://127.0.0.1:2379) to join a fleet, or unset them',
    ]);
    const p = problems({
      FLEET_ETCD_ENDPOINTS: 'etcd:2379',
      FLEET_HOST: 'a.b',
      FLEET_LEASE_TTL_S: '1',
      FLEET_ETCD_CERT_FILE: '/c.pem',
      FLEET_ETCD_PASSWORD: 'hunter2-secret',
    });
    expect(p).toEqual([
      "FLEET_ETCD_ENDPOINTS has 'etcd:2379', not an http(s) URL: give etcd client URLs such as https://10.0.0.1:2379, comma-separated",
      "FLEET_HOST 'a.b' may hold only letters, digits, - and _ (at most 32): fix it in .env",
      "FLEET_LEASE_TTL_S must be a whole number of seconds from 2 to 300 (got '1'): fix it in .env (default 10)",
      'FLEET_ETCD_CERT_FILE and FLEET_ETCD_KEY_FILE go together (a client certificate and its key): set both or neither',
      "FLEET_ETCD_CERT_FILE /c.pem cannot be read: give the path of a PEM file the medic's user may read",
      'FLEET_ETCD_USERNAME and FLEET_ETCD_PASSWORD go together: set both or neither',
    ]);
    expect(p.join('\n')).not.toContain('hunter2');
  });
});
