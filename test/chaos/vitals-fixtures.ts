/**
 * What the vitals chaos tests write and wait for: a plugin that leaks memory (once, then a marker
 * stops it on later starts), a plugin that throws a few seconds after start on its first boots
 * (to trip OpenClaw's own crash-loop breaker), and a gateway config with extra sections.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimalConfig, type ChaosSetup } from './harness.js';
import { writeOncePlugin, writePlugin } from './plugin-fixture.js';

/**
 * Leaks `mbPerSecond` MB of JS heap (arrays of doubles, in 512 KiB chunks) in the gateway process only (not in a CLI command
 * that loads plugins), from `afterHealthyMs` after the gateway's own `/healthz` (`healthUrl`) first answers,
 * on its first `boots` starts: each leaking start appends its start time and pid to `log` (one line each), a
 * later start that finds `boots` lines there does not leak. Once per process, not per module instance: the real
 * gateway registers the plugin from two module instances (seen: two leak starts 4 s apart in one gateway), and a
 * module-level guard let both leak, so the first boot used up both boots' leaks and the second boot never leaked.
 */
export function writeLeakPlugin(root: string, id: string, o: { log: string; mbPerSecond: number; healthUrl: string; afterHealthyMs: number; boots: number }): string {
  // Chunks of 64 Ki doubles (512 KiB, a fast-elements array) filled natively: Array.from with a callback per
  // element kept the gateway's event loop busy (~300 ms lags on a loaded machine), so its /healthz stopped
  // answering before the heap ran out and the medic took it for a hang, not the exit 134 this is about.
  const chunks = Math.max(1, Math.round((o.mbPerSecond * 1024 * 1024) / 8 / 10 / 65_536)); // per 100 ms
  const log = JSON.stringify(o.log);
  return writePlugin(root, id, [
    `import { appendFileSync, existsSync, readFileSync } from 'node:fs';`,
    `const hold = [];`,
    `const key = Symbol.for('clawmedic.chaos.leak.${id}');`,
    `const leak = () => {`,
    `  const done = existsSync(${log}) ? readFileSync(${log}, 'utf8').split('\\n').filter(Boolean).length : 0;`,
    `  if (done >= ${o.boots}) return;`,
    `  appendFileSync(${log}, Date.now() + ' ' + process.pid + '\\n');`,
    `  setInterval(() => { for (let k = 0; k < ${chunks}; k++) hold.push(new Array(65536).fill(k + 0.5)); }, 100).unref();`,
    `};`,
    `export default {`,
    `  id: '${id}',`,
    `  name: '${id}',`,
    `  register() {`,
    `    if (globalThis[key]) return;`,
    `    globalThis[key] = true;`,
    `    let answered = false;`,
    `    const poll = setInterval(async () => {`,
    `      if (answered || !/gateway/.test(process.title)) return;`,
    `      const ok = await fetch(${JSON.stringify(o.healthUrl)}, { signal: AbortSignal.timeout(900) }).then((r) => r.ok, () => false);`,
    `      if (!ok || answered) return;`,
    `      answered = true;`,
    `      clearInterval(poll);`,
    `      setTimeout(leak, ${o.afterHealthyMs}).unref();`,
    `    }, 1000);`,
    `    poll.unref();`,
    `  },`,
    `};`,
  ]);
}

/** The leaks `writeLeakPlugin` logged: when each started (ms since the epoch) and in which pid, oldest first. */
export function leakStarts(log: string): { at: number; pid: number }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [at, pid] = l.split(' ').map(Number);
      return { at: at!, pid: pid! };
    });
}

/** Throws `afterMs` after register in the gateway, on its first `times` boots (counted in `counter`). */
export function writeThrowFirstBootsPlugin(root: string, id: string, counter: string, times: number, afterMs = 4_000): string {
  return writeOncePlugin(root, id, [`import { existsSync, readFileSync, writeFileSync } from 'node:fs';`], [
    `    setTimeout(() => {`,
    `      if (!/gateway/.test(process.title)) return;`,
    `      const n = (existsSync(${JSON.stringify(counter)}) ? Number(readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;`,
    `      writeFileSync(${JSON.stringify(counter)}, String(n));`,
    `      if (n <= ${times}) throw new Error('boom from ${id} on boot ' + n);`,
    `    }, ${afterMs}).unref();`,
  ]);
}

/**
 * Blocks the gateway's event loop `blockMs` of every `blockMs + freeMs` while `switchFile` exists (the test
 * creates and removes it), in the gateway process only. The block is `Atomics.wait` on the main thread: the
 * loop is stuck as in a plugin's synchronous call, without burning a core of a shared machine.
 */
export function writeBlockPlugin(root: string, id: string, switchFile: string, blockMs = 1_200, freeMs = 500): string {
  return writeOncePlugin(root, id, [`import { existsSync } from 'node:fs';`], [
    `    const cell = new Int32Array(new SharedArrayBuffer(4));`,
    // setTimeout after each block, not setInterval: an interval due during the block fires again at once.
    `    const tick = () => {`,
    `      if (/gateway/.test(process.title) && existsSync(${JSON.stringify(switchFile)})) Atomics.wait(cell, 0, 0, ${blockMs});`,
    `      setTimeout(tick, ${freeMs}).unref();`,
    `    };`,
    `    setTimeout(tick, ${freeMs}).unref();`,
  ]);
}

/** The minimal config plus `extra` sections, written over the setup's config. */
export function writeGatewayConfig(setup: ChaosSetup, extra: Record<string, unknown>): void {
  writeFileSync(setup.configPath, `${JSON.stringify({ ...minimalConfig(setup.stateDir, setup.gatewayPort), ...extra }, null, 2)}\n`);
}

/** plugins.load.paths + plugins.entries.<id>.enabled: how OpenClaw loads a local plugin. */
export function pluginsSection(dirs: Record<string, string>): Record<string, unknown> {
  return {
    plugins: {
      load: { paths: Object.values(dirs) },
      entries: Object.fromEntries(Object.keys(dirs).map((id) => [id, { enabled: true }])),
    },
  };
}
