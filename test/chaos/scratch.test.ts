import { afterAll, it } from 'vitest';
import { ChaosWorld, readConfigJson, writeConfig } from './harness.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const world = new ChaosWorld();
afterAll(() => world.cleanup());

it('scratch: mode deleted while running', async () => {
  const setup = await world.setup();
  const t0 = Date.now();
  const m = await world.startMedic(setup);
  const calm = await world.firstStart(m, 'first start', t0);
  console.log('first start', Date.now() - t0, calm);
  const doc = readConfigJson(setup) as { gateway: Record<string, unknown> };
  delete doc.gateway.mode;
  const tf = Date.now();
  writeConfig(setup, JSON.stringify(doc, null, 2));
  for (let i = 0; i < 40; i++) {
    const s = m.now();
    console.log(((Date.now() - tf) / 1000).toFixed(1), s.health, s.pid, s.process, s.pending, s.incident?.id, s.incident?.level, s.incident?.state, s.incident?.approval?.kind, s.lastProbe?.ok, s.lastProbe?.error);
    await new Promise((r) => setTimeout(r, 1000));
  }
  for (const inc of await m.incidents()) {
    const { timeline } = await m.incident(inc.id);
    console.log(inc.id, inc.state, inc.outcome);
    for (const r of timeline) console.log('  ', ((r.at - tf) / 1000).toFixed(1), r.kind, r.text);
  }
  console.log(readFileSync(join(setup.targetDir, 'gateway.log'), 'utf8').split('\n').slice(-30).join('\n'));
  console.log(readFileSync(setup.configPath, 'utf8'));
});
