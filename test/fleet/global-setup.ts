/**
 * Once per fleet run: builds dist/ (the medics run as real `clawmedic run` processes) and makes
 * sure etcd is installed (scripts/install-etcd.sh: Debian's etcd-server). Either failing stops the run, saying why.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`[fleet global-setup] tsc build failed:\n${build.stdout}${build.stderr}`);
  const etcd = spawnSync('scripts/install-etcd.sh', { encoding: 'utf8' });
  if (etcd.status !== 0) throw new Error(`[fleet global-setup] scripts/install-etcd.sh failed: ${etcd.stderr.trim()}`);
}
