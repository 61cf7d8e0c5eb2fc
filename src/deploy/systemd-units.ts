/**
 * systemd user units: the gateway kept alive by systemd (level 0 by the OS), the medic
 * driving it through `systemctl --user`, and the guardian started by a timer.
 */
import { escapeSystemdPath, quoteSystemdArg, quoteSystemdExecutable, quoteSystemdWord } from './escape.js';
import {
  gatewayEnvironment,
  gatewayLogFile,
  gatewayShellCommand,
  guardianEnvironment,
  medicEnvironment,
  UNIT_MARKER,
  UnitNames,
  type DeployOptions,
} from './options.js';

type Line = string | null;

function lines(...all: Line[]): string {
  return `${all.filter((l): l is string => l !== null).join('\n')}\n`;
}

/** `ExecStart=` from `[value, field]` pairs, the executable first (`field` names a value in errors). */
function execStart([executable, ...args]: [[string, string], ...[string, string][]]): string {
  return `ExecStart=${[quoteSystemdExecutable(...executable), ...args.map(([value, field]) => quoteSystemdArg(value, field))].join(' ')}`;
}

function clawmedic(o: DeployOptions, ...args: string[]): [[string, string], ...[string, string][]] {
  return [[o.nodePath, 'nodePath'], [o.clawmedicBin, 'clawmedicBin'], ...args.map((a): [string, string] => [a, 'argument'])];
}

/** One `Environment=` line per variable, so each reads on its own. */
function environment(vars: [string, string][]): string[] {
  return vars.map(([name, value]) => `Environment=${quoteSystemdWord(`${name}=${value}`, name)}`);
}

function header(what: string): string[] {
  return [`# ${UNIT_MARKER}: ${what}`, '# Edit the options and run `clawmedic install --systemd` again rather than editing this file.'];
}

/**
 * The gateway under systemd, as OpenClaw's own unit runs it: restarted 5 s after any exit
 * except 78 (bad config, which restarting cannot fix: the medic's level 2 takes it), at most
 * 10 starts in 5 minutes, after which the medic's restart command resets the limit.
 */
export function renderGatewayService(o: DeployOptions): string {
  const log = escapeSystemdPath(gatewayLogFile(o), 'logDir');
  return lines(
    ...header('the OpenClaw gateway, kept running by systemd (level 0); clawmedic.service watches it'),
    '[Unit]',
    'Description=OpenClaw Gateway (kept alive by systemd, watched by clawmedic)',
    'StartLimitBurst=10',
    'StartLimitIntervalSec=300',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${escapeSystemdPath(o.home, 'home')}`,
    execStart([['/bin/sh', 'shell'], ['-c', 'argument'], [gatewayShellCommand(o.gatewayCommand), 'gatewayCommand']]),
    ...environment(gatewayEnvironment(o)),
    ...(o.carried?.envFiles ?? []).map((f) => `EnvironmentFile=${f.replace(/%/g, '%%')}`),
    'Restart=always',
    'RestartSec=5',
    'RestartPreventExitStatus=78',
    'SuccessExitStatus=143',
    'KillMode=mixed',
    // OpenClaw shuts down in under 3 s; a stop must end well within the medic's 60 s command timeout.
    'TimeoutStopSec=30',
    'OOMPolicy=continue',
    'UMask=0077',
    `StandardOutput=append:${log}`,
    `StandardError=append:${log}`,
    '',
    '[Install]',
    'WantedBy=default.target',
  );
}

/**
 * The medic. `Wants=` the guardian's timer, so whenever the medic starts the guardian runs
 * too: each watches the other. No start limit: the medic must always come back (5 s apart).
 */
export function renderMedicService(o: DeployOptions): string {
  return lines(
    ...header('the clawmedic medic (levels 1-4); it restarts the gateway with systemctl --user'),
    '[Unit]',
    'Description=clawmedic: recovery ladder for the OpenClaw gateway',
    `After=${UnitNames.systemd.gateway}`,
    `Wants=${UnitNames.systemd['guardian-timer']}`,
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${escapeSystemdPath(o.workingDir, 'workingDir')}`,
    execStart(clawmedic(o, 'run')),
    ...environment(medicEnvironment(o)),
    'Restart=always',
    'RestartSec=5',
    'TimeoutStopSec=30',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=default.target',
  );
}

/** One guardian pass; its timer starts it. */
export function renderGuardianService(o: DeployOptions): string {
  return lines(
    ...header('one clawmedic guardian pass, started every 60 s by clawmedic-guardian.timer'),
    '[Unit]',
    'Description=clawmedic guardian: re-registers unloaded units, restarts an unresponsive medic',
    '',
    '[Service]',
    'Type=oneshot',
    `WorkingDirectory=${escapeSystemdPath(o.workingDir, 'workingDir')}`,
    execStart(clawmedic(o, 'guardian', '--once', '--systemd')),
    ...environment(guardianEnvironment(o)),
    // Two probes of 5 s and a restart fit well inside; a stuck pass is ended before the next.
    'TimeoutStartSec=120',
    'UMask=0077',
  );
}

/** Every 60 s, first 60 s after the timer starts (a timer with only `OnUnitActiveSec` never fires). */
export function renderGuardianTimer(): string {
  return lines(
    ...header('runs the clawmedic guardian every 60 s'),
    '[Unit]',
    'Description=Run the clawmedic guardian every 60 s',
    '',
    '[Timer]',
    'OnActiveSec=60',
    'OnUnitActiveSec=60',
    'AccuracySec=5s',
    `Unit=${UnitNames.systemd.guardian}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
  );
}
