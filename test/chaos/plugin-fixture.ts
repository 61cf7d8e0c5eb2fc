/**
 * Plugins the chaos tests write themselves: a folder with `openclaw.plugin.json` and an ESM
 * `index.js` whose `register(api)` arms a timer that throws (or rejects) a few seconds later.
 * The timer is unref'd so that a short CLI command that loads plugins (`plugins disable`)
 * ends before it fires; the gateway, a server, is the one it kills.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A plugin folder: its manifest, package.json and an ESM `index.js` made of `body`'s lines. */
export function writePlugin(root: string, id: string, body: string[]): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const manifest = { id, name: id, version: '1.0.0', activation: { onStartup: true }, configSchema: { type: 'object', additionalProperties: false, properties: {} } };
  writeFileSync(join(dir, 'openclaw.plugin.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: id, version: '1.0.0', type: 'module', main: 'index.js' }, null, 2)}\n`);
  writeFileSync(join(dir, 'index.js'), [...body, ''].join('\n'));
  return dir;
}

/**
 * A plugin whose `register()` runs `body` once per module instance (OpenClaw may call it again): `imports`, then
 * the export every fixture plugin has around that body.
 */
export function writeOncePlugin(root: string, id: string, imports: string[], body: string[]): string {
  return writePlugin(root, id, [...imports, `let armed = false;`, `export default {`, `  id: '${id}',`, `  name: '${id}',`, `  register() {`, `    if (armed) return;`, `    armed = true;`, ...body, `  },`, `};`]);
}

export type PluginFault = 'throw-later' | 'reject-later';

export function writeCrashPlugin(root: string, id: string, fault: PluginFault, afterMs = 3_000): string {
  const body =
    fault === 'throw-later'
      ? `setTimeout(() => { throw new Error('boom from ${id}'); }, ${afterMs}).unref();`
      : `setTimeout(() => { Promise.reject(new Error('rejected later by ${id}')); }, ${afterMs}).unref();`;
  return writePlugin(root, id, [`export default {`, `  id: '${id}',`, `  name: '${id}',`, `  register(api) {`, `    ${body}`, `  },`, `};`]);
}

/**
 * A plugin whose gateway spins (`while (true) {}`: its event loop blocked, its main thread at 100% CPU,
 * state R) once `switchFile` exists (checked every 250 ms, in the gateway process only), the first time
 * only: it writes `marker` before it spins, and a later start that finds the marker does not spin.
 */
export function writeSpinPlugin(root: string, id: string, switchFile: string, marker: string): string {
  return writeOncePlugin(root, id, [`import { existsSync, writeFileSync } from 'node:fs';`], [
    `    const check = setInterval(() => {`,
    `      if (!/gateway/.test(process.title) || existsSync(${JSON.stringify(marker)}) || !existsSync(${JSON.stringify(switchFile)})) return;`,
    `      clearInterval(check);`,
    `      writeFileSync(${JSON.stringify(marker)}, String(process.pid));`,
    `      while (true) {}`,
    `    }, 250);`,
    `    check.unref();`,
  ]);
}
