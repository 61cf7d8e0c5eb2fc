/**
 * The unit files of a production set-up, rendered from `DeployOptions`: pure, no I/O.
 *
 * Who owns what, so that the service manager and the medic never fight:
 * - the gateway unit runs the gateway itself under the service manager (`KeepAlive` /
 *   `Restart=always`): level 0 is the OS's;
 * - the medic unit runs `clawmedic run` with `GATEWAY_COMMAND` empty and
 *   `GATEWAY_RESTART_COMMAND` / `GATEWAY_STOP_COMMAND` going through the service manager,
 *   so the medic never spawns a second gateway: it asks the manager (levels 1-4);
 * - the guardian runs `clawmedic guardian --once` every 60 s (systemd timer, launchd
 *   `StartInterval`), independent of the medic: it re-registers unloaded units and restarts
 *   a medic whose `/healthz` does not answer.
 */
import { renderGatewayPlist, renderGuardianPlist, renderMedicPlist } from './launchd-plists.js';
import { checkDeployOptions, unitRefs, type DeployOptions, type UnitRef } from './options.js';
import { renderGatewayService, renderGuardianService, renderGuardianTimer, renderMedicService } from './systemd-units.js';

/** One file to write. */
export interface UnitFile extends UnitRef {
  content: string;
  /** 0644: service managers refuse group- or world-writable files; nothing in them is secret. */
  mode: number;
}

/** The options cannot be rendered; `problems` says what to fix. */
export class DeployOptionsError extends Error {
  override readonly name = 'DeployOptionsError';
  constructor(readonly problems: string[]) {
    super(`Cannot write the unit files:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export const UNIT_FILE_MODE = 0o644;

/**
 * Renders every file of the platform's set-up, in registration order.
 * Throws `DeployOptionsError` for unusable options, `UnitValueError` for a value the
 * format cannot carry (a line break in a path...).
 */
export function renderUnits(o: DeployOptions): UnitFile[] {
  const problems = checkDeployOptions(o);
  if (problems.length) throw new DeployOptionsError(problems);
  return unitRefs(o.platform, o.home).map((ref) => ({ ...ref, content: renderOne(o, ref), mode: UNIT_FILE_MODE }));
}

function renderOne(o: DeployOptions, ref: UnitRef): string {
  if (o.platform === 'systemd') {
    switch (ref.role) {
      case 'gateway':
        return renderGatewayService(o);
      case 'medic':
        return renderMedicService(o);
      case 'guardian':
        return renderGuardianService(o);
      case 'guardian-timer':
        return renderGuardianTimer();
    }
  }
  switch (ref.role) {
    case 'gateway':
      return renderGatewayPlist(o);
    case 'medic':
      return renderMedicPlist(o);
    case 'guardian':
      return renderGuardianPlist(o);
    case 'guardian-timer':
      throw new Error('launchd has no separate timer: the guardian agent carries StartInterval');
  }
}
