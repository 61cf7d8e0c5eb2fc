/**
 * Builds dist/ once: end-to-end tests run the real `clawmedic` command as a child process.
 * A failed build does not stop the unit tests; the e2e tests then fail, saying why.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync('dist/cli.js', { force: true });
    process.stderr.write(`\n[global-setup] tsc build failed; e2e tests will fail:\n${r.stdout}${r.stderr}\n`);
  }
}
