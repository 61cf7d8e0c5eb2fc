/**
 * Plugins the chaos tests write themselves: a folder with `openclaw.plugin.json` and an ESM
 * `index.js` whose `register(api)` arms a timer that throws (or rejects) a few seconds later.
 * The timer is unref'd so that a short CLI command that loads plugins (`plugins disable`)
 * ends before it fires; the gateway, a server, is the one it kills.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type PluginFault = 'throw-later' | 'reject-later';

export function writeCrashPlugin(root: string, id: string, fault: PluginFault, afterMs = 3_000): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  const manifest = { id, name: id, version: '1.0.0', activation: { onStartup: true }, configSchema: { type: 'object', additionalProperties: false, properties: {} } };
  writeFileSync(join(dir, 'openclaw.plugin.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: id, version: '1.0.0', type: 'module', main: 'index.js' }, null, 2)}\n`);
  const body =
    fault === 'throw-later'
      ? `setTimeout(() => { throw new Error('boom from ${id}'); }, ${afterMs}).unref();`
      : `setTimeout(() => { Promise.reject(new Error('rejected later by ${id}')); }, ${afterMs}).unref();`;
  writeFileSync(
    join(dir, 'index.js'),
    [`export default {`, `  id: '${id}',`, `  name: '${id}',`, `  register(api) {`, `    ${body}`, `  },`, `};`, ''].join('\n'),
  );
  return dir;
}
