/** The audit's door: a record from outside the ladder is redacted once, then stored. */
import { describe, expect, it } from 'vitest';
import type { MedicConfig } from '../../src/config.js';
import { systemClock } from '../../src/lib/clock.js';
import { Redactor } from '../../src/lib/redact.js';
import { Medic } from '../../src/medic.js';
import { MedicEvents } from '../../src/recovery/events.js';
import { KeyvStore } from '../../src/store/keyv-store.js';
import { captureLogger } from '../fixtures/gateways.js';

const SECRET = 'audit-test-secret-value-7f3a9c';

describe('Medic.audit', () => {
  it('masks every secret the redactor knows before the store has the record', async () => {
    const store = await KeyvStore.inMemory();
    const medic = new Medic({
      config: { targets: [] } as unknown as MedicConfig,
      store,
      clock: systemClock,
      log: captureLogger(),
      events: new MedicEvents(),
      redactor: new Redactor([SECRET]),
      buildAdapters: () => {
        throw new Error('no targets');
      },
      version: 'test',
    });
    await medic.audit({ kind: 'operator', at: 1, target: 'gw', incidentId: null, level: null, text: `discord:op: /recover level 2: token ${SECRET}`, by: 'discord:op' });
    const audit = await store.listAudit({ limit: 10 });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.text).not.toContain(SECRET);
    expect(audit[0]!.text).toMatch(/^discord:op: \/recover level 2: token \S+$/);
  });
});
