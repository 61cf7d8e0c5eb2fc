/**
 * The deploy commands: `clawmedic install`, `uninstall` and `guardian --once`.
 * `deployCommand` is what `src/cli.ts` calls; it reads argv and the `.env` to install from,
 * builds the options and the adapters, and prints a readable report.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { loadConfig, loadMedicSettings, type MedicSettings } from '../config.js';
import { loadGuardianHeartbeat } from '../config/alerts.js';
import { whereSet } from '../env-file.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import type { Logger } from '../recovery/ports.js';
import { Redactor, secretValuesFromEnv } from '../lib/redact.js';
import { UnitValueError } from './escape.js';
import { renderGuardianResult, runGuardianOnce, type MedicProbe } from './guardian.js';
import { installUnits, uninstallUnits, type DeployFs } from './install.js';
import { DefaultDeployOptions, unitRef, type DeployOptions, type Platform } from './options.js';
import { CommandServiceManager, type ServiceManager } from './service-manager.js';
import { DeployOptionsError } from './units.js';

/** The valid form of each deploy command, for its one-line usage errors. */
export const DEPLOY_SYNOPSES = {
  install: 'clawmedic install --systemd|--launchd [--dry-run] [--env-file PATH] [--gateway-command CMD]',
  uninstall: 'clawmedic uninstall --systemd|--launchd [--dry-run]',
  guardian: 'clawmedic guardian --once [--systemd|--launchd]',
} as const;

/** What `deployCommand` takes from the world; tests replace any of it. */
export interface DeployDeps {
  /** The OS (`process.platform`): install refuses the other platform's units unless it is a dry run. */
  os: NodeJS.Platform;
  cwd: string;
  nodePath: string;
  clawmedicBin: string;
  uid: number;
  serviceManager: (platform: Platform, uid: number) => ServiceManager;
  fs: DeployFs | undefined;
  probe: MedicProbe | undefined;
  /** The guardian's pause between two probes of the medic. */
  sleep: ((ms: number) => Promise<void>) | undefined;
  log: Logger | undefined;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether a person is reading (then the guardian prints its summary too). */
  interactive: boolean;
  /** Folders that get cleaned up (the OS's temp, npx's cache): installing from one is warned about. */
  temporaryDirs: string[];
}

function defaultDeps(): DeployDeps {
  return {
    os: process.platform,
    cwd: process.cwd(),
    nodePath: process.execPath,
    clawmedicBin: fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url)),
    uid: process.getuid?.() ?? 0,
    serviceManager: (platform, uid) => new CommandServiceManager({ platform, uid }),
    fs: undefined,
    probe: undefined,
    sleep: undefined,
    log: undefined,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    interactive: Boolean(process.stdout.isTTY),
    temporaryDirs: [...new Set([tmpdir(), '/tmp', '/var/tmp', join(homedir(), '.npm', '_npx')])],
  };
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * `clawmedic install|uninstall|guardian ...`: `argv` starts with the command name.
 * `env` is the environment as `cli.ts` loaded it (`.env` merged). Resolves with the exit code:
 * 0 ok, 1 a step failed, 2 bad usage or configuration.
 */
export async function deployCommand(argv: string[], env: NodeJS.ProcessEnv, overrides: Partial<DeployDeps> = {}): Promise<number> {
  const deps = { ...defaultDeps(), ...overrides };
  try {
    const { values, positionals } = parseDeployArgs(argv);
    const [command, extra] = positionals;
    if (extra !== undefined) throw new UsageError(`${command} takes no argument '${extra}'`);
    const chosen = values.systemd && values.launchd ? 'both' : values.systemd ? 'systemd' : values.launchd ? 'launchd' : null;
    if (chosen === 'both') throw new UsageError('choose one of --systemd and --launchd');
    const dryRun = values['dry-run'];
    switch (command) {
      case 'install':
      case 'uninstall': {
        if (!chosen) throw new UsageError(`${command} needs --systemd (Linux) or --launchd (macOS)`);
        if (values.once) throw new UsageError(`--once is for guardian, not ${command}`);
        checkOs(chosen, deps.os, dryRun, command);
        if (command === 'uninstall') {
          if (values['env-file'] !== undefined || values['gateway-command'] !== undefined) {
            throw new UsageError('uninstall takes only --systemd|--launchd and --dry-run');
          }
          const report = await uninstallUnits({ platform: chosen, home: homeOf(env), dryRun, serviceManager: deps.serviceManager(chosen, deps.uid), ...fsOf(deps) });
          report.lines.forEach(deps.out);
          return report.ok ? 0 : 1;
        }
        const options = installOptions(chosen, env, deps, values['env-file'], values['gateway-command']);
        const report = await installUnits({ ...options, dryRun, serviceManager: deps.serviceManager(chosen, deps.uid), ...fsOf(deps) });
        report.lines.forEach(deps.out);
        return report.ok ? 0 : 1;
      }
      case 'guardian':
        if (!values.once) throw new UsageError('guardian runs one pass and exits, started every 60 s by its timer: clawmedic guardian --once');
        if (dryRun || values['env-file'] !== undefined || values['gateway-command'] !== undefined) {
          throw new UsageError('guardian takes only --once and --systemd|--launchd');
        }
        return await guardian(chosen ?? (deps.os === 'darwin' ? 'launchd' : 'systemd'), env, deps);
      default:
        throw new UsageError(`unknown deploy command '${String(command)}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const synopsis = DEPLOY_SYNOPSES[argv[0] as keyof typeof DEPLOY_SYNOPSES];
      deps.err(`${err.message}. Usage: ${synopsis ?? Object.values(DEPLOY_SYNOPSES).join(' | ')}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      deps.err(`${err.message}\n\nThe medic would refuse to start with this configuration: fix the file, then install again.`);
      return 2;
    }
    if (err instanceof DeployOptionsError || err instanceof UnitValueError) {
      deps.err(err.message);
      return 2;
    }
    throw err;
  }
}

const DEPLOY_OPTIONS = {
  systemd: { type: 'boolean', default: false },
  launchd: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  once: { type: 'boolean', default: false },
  'env-file': { type: 'string' },
  'gateway-command': { type: 'string' },
} as const;

/** node:util's parseArgs, with its errors said in one line (which option, what is wrong). */
function parseDeployArgs(argv: string[]) {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (!a.startsWith('-')) continue;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    const opt = DEPLOY_OPTIONS[name as keyof typeof DEPLOY_OPTIONS];
    if (!opt) throw new UsageError(`unknown option ${a.split('=')[0]}`);
    if (opt.type === 'string' && !a.includes('=')) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${a} needs a value`);
      i++;
    }
  }
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: DEPLOY_OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
}

function checkOs(platform: Platform, os: NodeJS.Platform, dryRun: boolean, command: string): void {
  const native = platform === 'launchd' ? os === 'darwin' : os === 'linux';
  if (!native && !dryRun) {
    throw new UsageError(`--${platform} ${command} needs ${platform === 'launchd' ? 'macOS' : 'Linux'} (this is ${os}); add --dry-run to see the files and commands`);
  }
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

function fsOf(deps: DeployDeps): { fs?: DeployFs } {
  return deps.fs ? { fs: deps.fs } : {};
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? home + path.slice(1) : path;
}

/**
 * The options for `install`, from the `.env` the medic will read (not the installing shell's
 * variables: the units will not see those). The configuration the medic will run with is
 * validated here, so a broken `.env` fails the install rather than the service.
 */
function installOptions(platform: Platform, env: NodeJS.ProcessEnv, deps: DeployDeps, envFileArg?: string, gatewayArg?: string): DeployOptions {
  const home = homeOf(env);
  const envFile = resolve(deps.cwd, expandHome(envFileArg ?? env.MEDIC_ENV_FILE ?? '.env', home));
  let fileEnv: Record<string, string> = {};
  if (existsSync(envFile)) {
    fileEnv = dotenv.parse(readFileSync(envFile));
    if ((statSync(envFile).mode & 0o077) !== 0) deps.err(`warning: ${envFile} is readable by other users; it may hold tokens: chmod 600 ${envFile}`);
  } else {
    deps.err(`note: ${envFile} does not exist yet; the medic runs on its defaults until you create it (see .env.example)`);
  }
  if (fileEnv.GATEWAY_RESTART_COMMAND || fileEnv.GATEWAY_STOP_COMMAND) {
    deps.err(`note: the medic's unit sets GATEWAY_RESTART_COMMAND and GATEWAY_STOP_COMMAND itself; the values in ${envFile} are not used`);
  }
  if (fileEnv.MEDIC_TARGETS_FILE) deps.err('note: MEDIC_TARGETS_FILE is set: these units run one gateway; the other targets keep their own commands');
  const fromFile = fileEnv.GATEWAY_COMMAND?.trim();
  const gatewayCommand = gatewayArg ?? (fromFile || DefaultDeployOptions.gatewayCommand);
  if (gatewayArg === undefined && fromFile) deps.err(`note: the gateway unit runs GATEWAY_COMMAND from ${envFile}: ${fromFile}; the medic no longer starts it itself`);

  const config = loadConfig({ ...fileEnv, HOME: home, GATEWAY_COMMAND: '' }, deps.cwd);
  for (const [what, path] of [['clawmedic', deps.clawmedicBin], ['the working folder', deps.cwd]] as const) {
    const temp = deps.temporaryDirs.find((d) => path === d || path.startsWith(`${d}/`));
    if (temp) {
      deps.err(`warning: ${what} is in a temporary folder (${path}, under ${temp}): the units will break when it is cleaned up; install from a permanent clone of clawmedic instead`);
    }
  }
  const distCli = join(dirname(deps.clawmedicBin), '..', 'dist', 'cli.js');
  if (!existsSync(distCli)) deps.err(`warning: ${distCli} is missing: run \`npm run build\` before the units start`);
  return {
    platform,
    nodePath: deps.nodePath,
    clawmedicBin: deps.clawmedicBin,
    workingDir: deps.cwd,
    envFile,
    dataDir: config.dataDir,
    logDir: join(config.dataDir, DefaultDeployOptions.logDirName),
    gatewayCommand,
    home,
    uid: deps.uid,
    path: unitPath(env.PATH),
  };
}

/**
 * `PATH` for the units: the installing shell's, so `openclaw` resolves as it did there, without
 * the `node_modules/.bin` folders npm and npx put in front of it, each folder once.
 */
export function unitPath(shellPath: string | undefined): string {
  const dirs = (shellPath ?? '').split(':').filter((d) => d.startsWith('/') && !d.includes('/node_modules/') && !d.endsWith('/node_modules'));
  const unique = [...new Set(dirs)];
  return unique.length ? unique.join(':') : '/usr/local/bin:/usr/bin:/bin';
}

/**
 * One guardian pass with the units of `platform` and the medic's port and log settings as the
 * medic reads them (`loadMedicSettings`: the same schema and defaults). Only the medic's own
 * settings: a broken target setting must not stop the guardian from loading the units.
 */
/** MEDIC_GUARDIAN_HEARTBEAT_URL; a bad one is logged and skipped: it must not stop the guardian's pass. */
function guardianHeartbeat(env: NodeJS.ProcessEnv, log: Logger): string | null {
  const { url, problems } = loadGuardianHeartbeat(env, (name) => whereSet(env, name));
  for (const p of problems) log.error(`guardian: ${p}`);
  return url;
}

async function guardian(platform: Platform, env: NodeJS.ProcessEnv, deps: DeployDeps): Promise<number> {
  let settings: MedicSettings;
  try {
    settings = loadMedicSettings(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    deps.err(`${err.message}\n\nThe guardian reads the medic's .env: fix it there.`);
    return 2;
  }
  const home = homeOf(env);
  const log =
    deps.log ??
    createLogger({ level: settings.logLevel, format: settings.logFormat, redactor: new Redactor(secretValuesFromEnv(env)) });
  const medic = unitRef(platform, home, 'medic');
  const result = await runGuardianOnce({
    serviceManager: deps.serviceManager(platform, deps.uid),
    units: { medic, gateway: unitRef(platform, home, 'gateway') },
    medicHealthUrl: `http://127.0.0.1:${settings.httpPort}/healthz`,
    medicUnloadsGateway: platform === 'launchd',
    log,
    ...(deps.probe ? { probe: deps.probe } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    heartbeatUrl: guardianHeartbeat(env, log),
  });
  if (deps.interactive) renderGuardianResult(result, medic.name).forEach(deps.out);
  return result.ok ? 0 : 1;
}
