/**
 * The documented set-up (docs/fleet.md): etcd that accepts only TLS clients with a certificate
 * from its CA, and password authentication on top; the medic joins with FLEET_ETCD_CA_FILE,
 * CERT_FILE, KEY_FILE, USERNAME and PASSWORD, and leads. Without the password it cannot join.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../fixtures/gateways.js';
import type { EtcdTls } from './etcd.js';
import { FleetWorld } from './world.js';

let world: FleetWorld | null = null;
let certDir: string | null = null;

afterEach(async () => {
  await world?.cleanup();
  world = null;
  if (certDir) await rm(certDir, { recursive: true, force: true });
  certDir = null;
});

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, with plain openssl as docs/fleet.md shows. */
async function makeCerts(dir: string): Promise<EtcdTls> {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, ext] of [['server', 'server.ext'], ['client', 'client.ext']] as const) {
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name === 'client' ? 'clawmedic' : '127.0.0.1'}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.crt`]);
  }
  return {
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    caFile: join(dir, 'ca.crt'),
    client: { certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') },
  };
}

describe('fleet over TLS with authentication', () => {
  it('joins etcd with a client certificate and a password, and writes only under its role', async () => {
    certDir = await mkdtemp(join(tmpdir(), 'clawmedic-certs-'));
    const tls = await makeCerts(certDir);
    const w = (world = await FleetWorld.start({ members: 1, ttlS: 4, tls }));
    // Users and a role limited to the fleet's keys, then authentication on (as docs/fleet.md).
    const password = 'fleet-pass-0123456789';
    for (const args of [
      ['user', 'add', 'root:root-pass-0123456789'],
      ['role', 'add', 'clawmedic'],
      ['role', 'grant-permission', 'clawmedic', '--prefix=true', 'readwrite', 'clawmedic/'],
      ['user', 'add', `clawmedic:${password}`],
      ['user', 'grant-role', 'clawmedic', 'clawmedic'],
      ['auth', 'enable'],
    ]) {
      const r = w.etcd.etcdctl(args);
      expect(r.status, `etcdctl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // With --client-cert-auth, etcd takes the certificate's CN (clawmedic) as the user: its role allows clawmedic/ only.
    const outside = w.etcd.etcdctl(['get', 'other-key']);
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toContain('permission denied');
    w.etcd.user = 'root:root-pass-0123456789';

    const env = {
      FLEET_ETCD_CA_FILE: tls.caFile,
      FLEET_ETCD_CERT_FILE: tls.client.certFile,
      FLEET_ETCD_KEY_FILE: tls.client.keyFile,
      FLEET_ETCD_USERNAME: 'clawmedic',
      FLEET_ETCD_PASSWORD: password,
    };
    const a = await w.addMedic('a', env);
    await waitFor(async () => ((await w.status(a)).fleet.leader ? true : null), { timeoutMs: 30_000, what: `a leads over TLS\n${w.logs()}` });
    await waitFor(() => (w.identifies() >= 1 ? true : null), { what: 'its bot identified' });
    const stored = w.etcd.dump();
    expect(stored).toContain('clawmedic/test/hosts/a');
    expect(stored).not.toContain(password);
    expect(w.logs()).not.toContain(password);

    // A wrong password: the medic heals on its own but never joins.
    const b = await w.addMedic('b', { ...env, FLEET_ETCD_PASSWORD: 'wrong-password-0123456789' });
    await new Promise((ok) => setTimeout(ok, 3000));
    const sb = await w.status(b);
    expect(sb.fleet.connected).toBe(false);
    expect(sb.targets[0]!.health).toBe('up');
    expect(b.output.join('\n')).toMatch(/etcd unreachable \(.*(auth|password|authentication)/i);
    expect(w.etcd.dump()).not.toContain('clawmedic/test/hosts/b');
  });
});
