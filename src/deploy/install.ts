/**
 * `clawmedic install` / `uninstall`: writes the unit files and registers them with the
 * service manager, or reverses it. A dry run prints every file and command and touches
 * nothing. Both return readable lines for the terminal.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { maskSecrets, readExistingGatewayUnit, SECRET_NAME, secretFlags, withCarriedFlags } from './carry-over.js';
import { registeredUnits, unitDir, unitRef, unitRefs, UNIT_MARKER, type DeployOptions, type Platform, type UnitRef } from './options.js';
import type { ServiceManager } from './service-manager.js';
import { DeployOptionsError, renderUnits, type UnitFile } from './units.js';

/** The file operations the installer needs; tests pass an in-memory one or a temp HOME. */
export interface DeployFs {
  /** The file's text, or null when it does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Creates or replaces the file (atomically) and sets its mode. */
  writeFile(path: string, content: string, mode: number): Promise<void>;
  /** Creates the directory and its parents; `mode` applies to the ones it creates. */
  mkdir(path: string, mode: number): Promise<void>;
  /** Removes the file; nothing when it is gone already. */
  remove(path: string): Promise<void>;
}

/** The default `DeployFs`: node:fs. */
export const nodeDeployFs: DeployFs = {
  async readFile(path) {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  async writeFile(path, content, mode) {
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, content, { mode });
    await chmod(tmp, mode);
    await rename(tmp, path);
  },
  async mkdir(path, mode) {
    await mkdir(path, { recursive: true, mode });
  },
  async remove(path) {
    await rm(path, { force: true });
  },
};

export interface InstallOptions extends DeployOptions {
  dryRun: boolean;
  serviceManager: ServiceManager;
  fs?: DeployFs;
}

export interface UninstallOptions {
  platform: Platform;
  home: string;
  dryRun: boolean;
  serviceManager: ServiceManager;
  fs?: DeployFs;
}

export interface DeployReport {
  /** False when a step failed; `lines` says which and what to do. */
  ok: boolean;
  lines: string[];
}

interface Step {
  /** What it does, as a command line where there is one. */
  describe: string;
  run(): Promise<string | null>;
}

const octal = (mode: number) => `0${mode.toString(8)}`;

function serviceSteps(sm: ServiceManager, units: UnitRef[], op: 'load' | 'unload'): Step[] {
  return units.flatMap((unit): Step[] => {
    const unloadIfLoaded: Step = {
      describe: `if loaded: ${sm.describe({ op: 'unload', unit })}`,
      run: async () => {
        if (!(await sm.isLoaded(unit))) return `${unit.name} was not loaded`;
        await sm.unload(unit);
        return `unloaded ${unit.name}`;
      },
    };
    if (op === 'unload') return [unloadIfLoaded];
    const load: Step = {
      describe: sm.describe({ op: 'load', unit }),
      run: async () => {
        await sm.load(unit);
        return `loaded ${unit.name}`;
      },
    };
    // launchd keeps the plist it bootstrapped: a loaded agent must go out before the new file counts.
    // `systemctl restart` in `load` picks up the new file (after daemon-reload) by itself.
    return sm.platform === 'launchd' ? [unloadIfLoaded, load] : [load];
  });
}

function reloadStep(sm: ServiceManager): Step {
  return { describe: sm.describe({ op: 'reload-definitions' }), run: () => sm.reloadDefinitions().then(() => 'reloaded the unit files') };
}

async function runSteps(steps: Step[], lines: string[], stopOnError: boolean): Promise<boolean> {
  let ok = true;
  for (const step of steps) {
    try {
      const said = await step.run();
      if (said) lines.push(`  ${said}`);
    } catch (err) {
      ok = false;
      lines.push(`  FAILED: ${step.describe}: ${(err as Error).message}`);
      if (stopOnError) return false;
    }
  }
  return ok;
}

/**
 * Writes the unit files (systemd: `~/.config/systemd/user/`; launchd: `~/Library/LaunchAgents/`),
 * then registers them: `daemon-reload` and `enable` + `restart` on systemd, `bootstrap` on
 * launchd. A file of the same name not written by clawmedic (OpenClaw's own gateway unit) is
 * copied to `<dataDir>/replaced-units/` first. Rendering errors throw before anything is touched.
 */
export async function installUnits(installOptions: InstallOptions): Promise<DeployReport> {
  const fs = installOptions.fs ?? nodeDeployFs;
  const sm = installOptions.serviceManager;
  const backupDir = join(installOptions.dataDir, 'replaced-units');
  const gatewayRef = unitRef(installOptions.platform, installOptions.home, 'gateway');
  const oldGateway = await fs.readFile(gatewayRef.path);
  const carry = oldGateway === null ? null : carryOver(installOptions, gatewayRef.path, oldGateway, join(backupDir, basename(gatewayRef.path)));
  const o = carry ? carry.options : installOptions;
  const files = renderUnits(o).map((f): UnitFile => (f.role === 'gateway' && carry?.secret ? { ...f, mode: 0o600 } : f));
  const dir = unitDir(o.platform, o.home);
  const lines: string[] = [o.dryRun ? `dry run: clawmedic install --${o.platform} would do this (nothing is written, no command is run)` : `clawmedic install --${o.platform}`];
  if (carry) lines.push(...carry.lines);

  const fileSteps: Step[] = [
    { describe: `mkdir -p ${dir} (mode 0755)`, run: () => fs.mkdir(dir, 0o755).then(() => null) },
    {
      describe: `mkdir -p ${o.dataDir} ${o.logDir} (mode 0700)`,
      run: async () => {
        await fs.mkdir(o.dataDir, 0o700);
        await fs.mkdir(o.logDir, 0o700);
        return null;
      },
    },
  ];
  for (const file of files) {
    const existing = await fs.readFile(file.path);
    const foreign = existing !== null && !existing.includes(UNIT_MARKER);
    const backup = join(backupDir, basename(file.path));
    if (foreign) {
      fileSteps.push({
        describe: `copy ${file.path} (not written by clawmedic) to ${backup}`,
        run: async () => {
          await fs.mkdir(backupDir, 0o700);
          await fs.writeFile(backup, existing, 0o600);
          return `kept a copy of the replaced ${file.path} in ${backup}`;
        },
      });
    }
    const what = existing === null ? 'wrote' : existing === file.content ? 'unchanged' : 'replaced';
    fileSteps.push({
      describe: `write ${file.path} (mode ${octal(file.mode)})`,
      run: () => fs.writeFile(file.path, file.content, file.mode).then(() => `${what} ${file.path}`),
    });
  }

  const units = registeredUnits(o.platform, o.home);
  const commandSteps: Step[] = [
    ...(o.platform === 'systemd'
      ? [reloadStep(sm)]
      : []),
    ...serviceSteps(sm, units, 'load'),
  ];

  if (o.dryRun) {
    for (const file of files) {
      const existing = await fs.readFile(file.path);
      if (existing === null) lines.push('', `--- ${file.path} (mode ${octal(file.mode)}) ---`, file.content.trimEnd());
      else if (existing === file.content) lines.push('', `--- ${file.path}: unchanged ---`);
      else lines.push('', `--- ${file.path} (mode ${octal(file.mode)}): what changes ---`, unitDiff(file.path, existing, file.content));
    }
    lines.push('', 'files and directories:', ...fileSteps.map((s) => `  ${s.describe}`));
    lines.push('', 'commands, in this order:', ...commandSteps.map((s) => `  ${s.describe}`));
    if (o.platform === 'systemd') lines.push('', 'afterwards, to keep them running without a login session: loginctl enable-linger $USER');
    return { ok: true, lines };
  }

  if (!(await runSteps(fileSteps, lines, true))) return { ok: false, lines };
  lines.push(`registering with ${o.platform}:`);
  if (!(await runSteps(commandSteps, lines, true))) {
    lines.push(`The files are written; fix the problem above and run \`clawmedic install --${o.platform}\` again.`);
    if (o.platform === 'systemd') lines.push('No systemd user manager? Log in as this user (or `loginctl enable-linger $USER`) so `systemctl --user` works.');
    return { ok: false, lines };
  }
  lines.push(...afterInstall(o));
  return { ok: true, lines };
}

/** The existing file against the new one, as a unified diff without its header line; credentials masked. */
function unitDiff(path: string, before: string, after: string): string {
  const patch = createTwoFilesPatch(`${path} (now)`, `${path} (after install)`, maskSecrets(before), maskSecrets(after), undefined, undefined, { context: 2 });
  return patch.split('\n').filter((l) => !l.startsWith('====')).join('\n').trimEnd();
}

interface CarryOver {
  options: InstallOptions;
  /** The carried environment holds a credential: the gateway unit is written 0600. */
  secret: boolean;
  lines: string[];
}

/**
 * The existing gateway unit's settings, carried into the new one: its environment, its
 * `EnvironmentFile=` lines, its gateway flags (`--port`) and node flags. A credential on its
 * command line is refused (a unit file is no place for it): `DeployOptionsError` says which.
 */
function carryOver(o: InstallOptions, path: string, text: string, backup: string): CarryOver | null {
  const carried = readExistingGatewayUnit(o.platform, path, text);
  const secrets = secretFlags(carried);
  if (secrets.length) {
    throw new DeployOptionsError([
      `${path} passes ${secrets.join(', ')} on the gateway's command line, which clawmedic will not copy into a unit file: move it into the gateway's config (gateway.auth in ~/.openclaw/openclaw.json) or an Environment= line of that unit (OPENCLAW_GATEWAY_TOKEN), then install again`,
    ]);
  }
  const { command, added } = withCarriedFlags(o.gatewayCommand, carried);
  const names = carried.env.map(([n]) => n);
  const secret = names.some((n) => SECRET_NAME.test(n));
  const ours = text.includes(UNIT_MARKER);
  // clawmedic's own unit always has the PATH it wrote: not worth a word.
  if (ours) carried.dropped = carried.dropped.filter((d) => !d.startsWith('PATH='));
  if (!names.length && !carried.envFiles.length && !added.length && !carried.nodeOptions.length && !carried.dropped.length) return null;
  const lines = [`carried over from ${path}${ours ? '' : ` (not written by clawmedic; a copy is kept in ${backup})`}:`];
  if (names.length) lines.push(`  environment: ${names.join(', ')}${secret ? ' (it holds a credential: the gateway unit is written 0600)' : ''}`);
  if (carried.envFiles.length) lines.push(`  EnvironmentFile: ${carried.envFiles.join(', ')}`);
  if (added.length) lines.push(`  gateway flags: ${added.map((g) => g.join(' ')).join(' ')}`);
  if (carried.nodeOptions.length) lines.push(`  node flags, into NODE_OPTIONS: ${carried.nodeOptions.join(' ')}`);
  for (const d of carried.dropped) lines.push(`  not carried: ${d}`);
  return { options: { ...o, gatewayCommand: command, carried }, secret, lines };
}

function afterInstall(o: DeployOptions): string[] {
  if (o.platform === 'systemd') {
    return [
      'done. The gateway, the medic and the guardian timer are enabled and running.',
      '  to keep them running without a login session: loginctl enable-linger $USER',
      '  check: systemctl --user status clawmedic.service openclaw-gateway.service clawmedic-guardian.timer',
      '  logs:  journalctl --user -u clawmedic.service -u clawmedic-guardian.service; the gateway appends to ' + join(o.logDir, 'gateway.log'),
    ];
  }
  return [
    'done. The gateway, the medic and the guardian are loaded in gui/' + o.uid + '.',
    `  check: launchctl print gui/${o.uid}/ai.clawmedic.medic`,
    `  logs:  ${o.logDir}/{gateway,medic,guardian}.log`,
  ];
}

/**
 * Unloads the units and removes the files clawmedic wrote (never one it did not write).
 * Best effort: a failing step is reported and the others still run. The data directory stays.
 */
export async function uninstallUnits(o: UninstallOptions): Promise<DeployReport> {
  const fs = o.fs ?? nodeDeployFs;
  const sm = o.serviceManager;
  const lines: string[] = [o.dryRun ? `dry run: clawmedic uninstall --${o.platform} would do this (nothing is removed, no command is run)` : `clawmedic uninstall --${o.platform}`];
  // Only what clawmedic wrote is stopped, disabled and removed: a unit of the same name that
  // the user (or `openclaw gateway install`) wrote is left running, as it is.
  const ours = new Set<string>();
  const removals: Step[] = [];
  for (const ref of unitRefs(o.platform, o.home)) {
    const existing = await fs.readFile(ref.path);
    if (existing === null) continue;
    if (!existing.includes(UNIT_MARKER)) {
      lines.push(`  ${ref.path} was not written by clawmedic: left in place, not stopped or disabled`);
      continue;
    }
    ours.add(ref.name);
    removals.push({ describe: `rm ${ref.path}`, run: () => fs.remove(ref.path).then(() => `removed ${ref.path}`) });
  }
  // The guardian first, so it cannot load again what is being unloaded.
  const units = [...registeredUnits(o.platform, o.home)].reverse().filter((u) => ours.has(u.name));
  const steps: Step[] = [...serviceSteps(sm, units, 'unload'), ...removals];
  if (o.platform === 'systemd') {
    steps.push(reloadStep(sm));
  }
  if (o.dryRun) {
    lines.push(...steps.map((s) => `  ${s.describe}`));
    return { ok: true, lines };
  }
  const ok = await runSteps(steps, lines, false);
  lines.push(ok ? 'done. The medic data directory (store, logs) is kept.' : 'some steps failed (above); run `clawmedic uninstall` again once fixed.');
  if (ours.has(unitRef(o.platform, o.home, 'gateway').name)) {
    lines.push("  the gateway is no longer kept running; `openclaw gateway install` gives it OpenClaw's own service again.");
  }
  return { ok, lines };
}
