/**
 * `clawmedic demo`: the bundled demo gateway under the medic, broken on purpose so a
 * newcomer sees level 0 (a crash, restarted) and level 2 (a corrupted config, restored
 * from the medic's last-known-good copy) within a minute, without OpenClaw.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CRASH_EVERY_MS = 15_000;
const CORRUPT_AT_MS = 20_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function runDemo(
  env: NodeJS.ProcessEnv,
  run: (env: NodeJS.ProcessEnv) => Promise<number>,
): Promise<number> {
  // A fresh private directory each run: a fixed name under /tmp could be planted (a symlink) by another user.
  const dataDir = env.MEDIC_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'clawmedic-demo-'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const configPath = join(dataDir, 'demo-gateway.json');
  writeFileSync(configPath, JSON.stringify({ gateway: { mode: 'local', port } }, null, 2));
  const script = fileURLToPath(new URL('../demo/gateway.mjs', import.meta.url));
  const node = JSON.stringify(process.execPath);
  const demoEnv: NodeJS.ProcessEnv = {
    ...env,
    MEDIC_DATA_DIR: dataDir,
    MEDIC_TARGETS_FILE: '',
    GATEWAY_NAME: 'demo',
    GATEWAY_COMMAND: `${node} ${JSON.stringify(script)} --config ${JSON.stringify(configPath)} --mode crash-after --after-ms ${CRASH_EVERY_MS}`,
    GATEWAY_RESTART_COMMAND: '',
    GATEWAY_HEALTH_URL: `http://127.0.0.1:${port}/healthz`,
    GATEWAY_CONFIG_PATH: configPath,
    DOCTOR_COMMAND: 'echo "demo doctor: nothing to fix"',
    PROBE_INTERVAL_MS: '1000',
    PROBE_TIMEOUT_MS: '500',
    SNAPSHOT_AFTER_MS: '3000',
  };
  console.log(
    [
      'clawmedic demo',
      `  the demo gateway listens on 127.0.0.1:${port} and crashes ${CRASH_EVERY_MS / 1000} s after every start (level 0 restarts it);`,
      `  at ${CORRUPT_AT_MS / 1000} s the demo deletes gateway.mode from its config, so the next start exits 78`,
      '  (level 2 restores the last-known-good config the medic snapshotted).',
      `  data: ${dataDir}    try in another terminal: npx clawmedic status / npx clawmedic incidents`,
      '  Ctrl-C stops the medic and the demo gateway.',
      '',
    ].join('\n'),
  );
  const corrupt = setTimeout(() => {
    const doc = JSON.parse(readFileSync(configPath, 'utf8')) as { gateway: Record<string, unknown> };
    delete doc.gateway.mode;
    writeFileSync(configPath, JSON.stringify(doc, null, 2));
    console.log('\n>>> demo: deleted gateway.mode from the config; the next crash will need level 2\n');
  }, CORRUPT_AT_MS).unref();
  try {
    return await run(demoEnv);
  } finally {
    clearTimeout(corrupt);
  }
}
