/**
 * `clawmedic run` (and the demo): the medic in the foreground until SIGINT/SIGTERM/SIGHUP,
 * announced in `~/.clawmedic/run` while it runs so the CLI finds it from any folder.
 */
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { loadConfig } from '../config.js';
import { describeDetection, detectGatewayService, serviceEnvironment } from '../deploy/detect.js';
import { apiTokenFile } from '../api/token.js';
import { runMedic } from '../main.js';
import { announceMedic, describeMedic, findMedics, type AnnouncedMedic } from './discovery.js';

/** The medic could not start; `exitCode` 2 when the configuration must change (a port in use). */
export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Checked before anything starts: a port in use would otherwise surface only after the
 * gateways were started (and stopped again).
 */
async function checkPort(env: NodeJS.ProcessEnv, host: string, port: number): Promise<void> {
  if (await portFree(host, port)) return;
  const url = `http://${host}:${port}`;
  const other = (await findMedics(env)).find((m) => m.url === url);
  throw new StartError(
    other
      ? `MEDIC_HTTP_PORT ${port} is in use by another clawmedic (${describeMedic(other)}): stop it, or set MEDIC_HTTP_PORT to a free port`
      : `MEDIC_HTTP_PORT ${port} is in use on ${host} by another program: set MEDIC_HTTP_PORT to a free port (e.g. ${port + 1}) in .env or the environment`,
    2,
  );
}

/**
 * Zero config: with no target configured, OpenClaw's own gateway service (systemd unit or launchd
 * agent), driven through the service manager. The environment to load the config from, and what
 * was found (lines for the log and check-config; none when nothing was).
 */
export async function zeroConfig(given: NodeJS.ProcessEnv): Promise<{ env: NodeJS.ProcessEnv; detected: string[] }> {
  const home = given.HOME || homedir();
  const service = await detectGatewayService({ home, os: process.platform });
  const serviceVars = service && serviceEnvironment(service, { home, uid: process.getuid?.() ?? 0 }, given);
  if (!service || !serviceVars) return { env: given, detected: [] };
  return { env: { ...serviceVars, ...given }, detected: describeDetection(service, serviceVars) };
}

/** Runs the medic until a signal, then stops it and every gateway it supervises. Resolves with the exit code. */
export async function runForeground(given: NodeJS.ProcessEnv): Promise<number> {
  const { env, detected } = await zeroConfig(given);
  const config = loadConfig(env);
  await checkPort(env, config.httpHost, config.httpPort);
  let medic: Awaited<ReturnType<typeof runMedic>>;
  try {
    medic = await runMedic({ env });
  } catch (err) {
    throw new StartError(`clawmedic could not start: ${(err as Error).message}`, 1);
  }
  for (const line of detected) medic.log.info(line);
  const about = medic.medic.about();
  const announced: AnnouncedMedic | null = await announceMedic(env, {
    pid: about.pid,
    startedAt: about.startedAt,
    version: about.version,
    url: `http://${medic.config.httpHost}:${medic.api.port}`,
    dataDir: medic.config.dataDir,
    tokenFile: medic.config.apiToken ? null : apiTokenFile(medic.config),
    cwd: process.cwd(),
    targets: medic.config.targets.map((t) => t.name),
  }).catch((err: Error) => {
    medic.log.warn(`could not announce this medic for the CLI (${err.message}): use clawmedic --url or --data-dir to reach it`);
    return null;
  });
  process.once('exit', () => announced?.removeSync());
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      medic.log.info(`${signal}: stopping clawmedic and the gateways it supervises`);
      Promise.resolve(announced?.remove())
        .then(() => medic.stop())
        .then(
          () => resolve(0),
          (err: Error) => {
            medic.log.error(`shutdown failed: ${err.message}`);
            resolve(1);
          },
        );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGHUP', () => shutdown('SIGHUP'));
  });
}
