/**
 * What the vitals chaos tests write and wait for: a plugin that leaks memory (once, then a marker
 * stops it on later starts), a plugin that throws a few seconds after start on its first boots
 * (to trip OpenClaw's own crash-loop breaker), and a gateway config with extra sections.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minimalConfig, type ChaosSetup } from './harness.js';

function writePlugin(root: string, id: string, body: string[]): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const manifest = { id, name: id, version: '1.0.0', activation: { onStartup: true }, configSchema: { type: 'object', additionalProperties: false, properties: {} } };
  writeFileSync(join(dir, 'openclaw.plugin.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: id, version: '1.0.0', type: 'module', main: 'index.js' }, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), [...body, ''].join('\n'));
  return dir;
}

/**
 * Leaks `mbPerSecond` MB of JS heap (arrays of doubles) from `afterMs` after register, in the
 * gateway process only (not in a CLI command that loads plugins), the first time only: it writes
 * `marker` (its start time) and a later start that finds the marker does not leak.
 */
export function writeLeakPlugin(root: string, id: string, marker: string, mbPerSecond: number, afterMs = 5_000): string {
  const perTick = Math.round((mbPerSecond * 1024 * 1024) / 8 / 10); // doubles per 100 ms
  return writePlugin(root, id, [
    `import { existsSync, writeFileSync } from 'node:fs';`,
    `const hold = [];`,
    `let armed = false;`,
    `export default {`,
    `  id: '${id}',`,
    `  name: '${id}',`,
    `  register() {`,
    `    if (armed) return;`,
    `    armed = true;`,
    `    setTimeout(() => {`,
    `      if (!/gateway/.test(process.title) || existsSync(${JSON.stringify(marker)})) return;`,
    `      writeFileSync(${JSON.stringify(marker)}, String(Date.now()));`,
    `      setInterval(() => { hold.push(Array.from({ length: ${perTick} }, (_, i) => i + 0.5)); }, 100).unref();`,
    `    }, ${afterMs}).unref();`,
    `  },`,
    `};`,
  ]);
}

/** Throws `afterMs` after register in the gateway, on its first `times` boots (counted in `counter`). */
export function writeThrowFirstBootsPlugin(root: string, id: string, counter: string, times: number, afterMs = 4_000): string {
  return writePlugin(root, id, [
    `import { existsSync, readFileSync, writeFileSync } from 'node:fs';`,
    `let armed = false;`,
    `export default {`,
    `  id: '${id}',`,
    `  name: '${id}',`,
    `  register() {`,
    `    if (armed) return;`,
    `    armed = true;`,
    `    setTimeout(() => {`,
    `      if (!/gateway/.test(process.title)) return;`,
    `      const n = (existsSync(${JSON.stringify(counter)}) ? Number(readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0) + 1;`,
    `      writeFileSync(${JSON.stringify(counter)}, String(n));`,
    `      if (n <= ${times}) throw new Error('boom from ${id} on boot ' + n);`,
    `    }, ${afterMs}).unref();`,
    `  },`,
    `};`,
  ]);
}

/**
 * Blocks the gateway's event loop `blockMs` of every `blockMs + freeMs` while `switchFile` exists (the test
 * creates and removes it), in the gateway process only. The block is `Atomics.wait` on the main thread: the
 * loop is stuck as in a plugin's synchronous call, without burning a core of a shared machine.
 */
export function writeBlockPlugin(root: string, id: string, switchFile: string, blockMs = 1_200, freeMs = 500): string {
  return writePlugin(root, id, [
    `import { existsSync } from 'node:fs';`,
    `let armed = false;`,
    `export default {`,
    `  id: '${id}',`,
    `  name: '${id}',`,
    `  register() {`,
    `    if (armed) return;`,
    `    armed = true;`,
    `    const cell = new Int32Array(new SharedArrayBuffer(4));`,
    // setTimeout after each block, not setInterval: an interval due during the block fires again at once.
    `    const tick = () => {`,
    `      if (/gateway/.test(process.title) && existsSync(${JSON.stringify(switchFile)})) Atomics.wait(cell, 0, 0, ${blockMs});`,
    `      setTimeout(tick, ${freeMs}).unref();`,
    `    };`,
    `    setTimeout(tick, ${freeMs}).unref();`,
    `  },`,
    `};`,
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
