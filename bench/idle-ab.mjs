/**
 * Idle CPU of two builds side by side, in one run: `node bench/idle-ab.mjs <old checkout> <new checkout> [targets=25] [sampleMs=60000]`.
 * Each checkout must be built (`npm run build`). Each build runs a medic with 1 target and one with N targets (demo
 * gateways, plain command lines) at the same time, warms 45 s, then the medics' CPU (utime + stime) is sampled over
 * the same window: a change to the watch is judged against the build before it under the same load.
 * Everything started is stopped by pid at the end.
 */
import { mkdtemp, writeFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
const [oldDir, newDir, nArg = '25', msArg = '60000'] = process.argv.slice(2);
const lib = await import(pathToFileURL(join(newDir, 'bench/lib.mjs')).href);
const sup = await import(pathToFileURL(join(newDir, 'bench/supervisors.mjs')).href);
const root = await mkdtemp(join(os.tmpdir(), 'idle-ab-'));
const janitor = new lib.Janitor();
const medics = [];
const N = Number(nArg), SAMPLE = Number(msArg);
const ctxs = {};
for (const [label, dir] of [['old', oldDir], ['new', newDir]]) {
  const build = { bin: join(dir, 'bin', 'clawmedic.js'), gateway: join(dir, 'demo', 'gateway.mjs') };
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(GATEWAY_|MEDIC_|DISCORD_|PROBE_|AGENT_)/.test(k)) delete env[k];
  ctxs[label] = { root: join(root, label), build, janitor, baseEnv: env, gatewayConfig: join(root, 'gateway.json'), medics };
}
await writeFile(join(root, 'gateway.json'), JSON.stringify({ gateway: { mode: 'local' } }));
const ports = [];
while (ports.length < 2 * (N + 1)) { const p = await lib.freePort(); if (!ports.includes(p)) ports.push(p); }
const started = [];
try {
  for (const label of ['old', 'new']) {
    const ctx = ctxs[label];
    const gw = { mode: 'ok', startDelayMs: 300 };
    const p1 = ports.shift();
    started.push(await sup.startMedic(ctx, `${label}-1`, { GATEWAY_COMMAND: sup.gatewayCommand(ctx, p1, gw), GATEWAY_HEALTH_URL: sup.healthUrl(p1) }));
    const targets = Array.from({ length: N }, (_, i) => { const p = ports.shift(); return { name: `t${i}`, command: sup.gatewayCommand(ctx, p, gw), healthUrl: sup.healthUrl(p) }; });
    const tf = join(root, `${label}-targets.json`);
    await writeFile(tf, JSON.stringify({ targets }));
    started.push(await sup.startMedic(ctx, `${label}-${N}`, { MEDIC_TARGETS_FILE: tf }));
  }
  await Promise.all(started.map((m) => sup.waitMedicSettled(m, { timeoutMs: 240_000 })));
  console.log(`all up; warming 45 s; load ${os.loadavg()[0].toFixed(2)}`);
  await lib.sleep(45_000);
  const t0 = performance.now();
  const c0 = started.map((m) => lib.cpuSeconds(m.pid));
  await lib.sleep(SAMPLE);
  const wall = (performance.now() - t0) / 1000;
  started.forEach((m, i) => {
    const used = lib.cpuSeconds(m.pid) - c0[i];
    console.log(`${m.name.padEnd(8)} ${(used / wall * 100).toFixed(2)} % of a core (${(used * 1000 / (wall / 60)).toFixed(0)} ms CPU per minute), RSS ${lib.memoryMiB(m.pid).rss.toFixed(0)} MiB`);
  });
  console.log(`sampled ${wall.toFixed(1)} s; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; /proc/net/tcp lines ${(await import('node:fs')).readFileSync('/proc/net/tcp', 'utf8').split('\n').length - 2}`);
} finally {
  await Promise.all(started.map((m) => sup.stopMedic(ctxs.old, m).catch(() => {})));
  await janitor.killAll();
  await rm(root, { recursive: true, force: true });
}
