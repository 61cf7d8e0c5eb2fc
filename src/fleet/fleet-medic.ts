/**
 * The medic as the leader's command source sees it in fleet mode: its own targets, and every
 * other host's targets as `RemoteTarget`s whose operations go through etcd to their host.
 * Target names are unique in a fleet (docs/fleet.md), so a name says which host to ask.
 */
import { RequestRejectedError } from '../errors.js';
import type { Medic, MedicStatus } from '../medic.js';
import type { Incident, TargetStatus } from '../recovery/types.js';
import type { TargetWatchdog } from '../recovery/watchdog/index.js';
import { RemoteTarget, type Operation } from './commands.js';
import type { HostRecord } from './membership.js';

/** What the command source (src/commands) calls on the medic. */
export type CommandMedic = Pick<Medic, 'target' | 'targets' | 'status' | 'audit'>;

/**
 * A host's record is republished at most about once a second; the incidents its events carried reach the leader
 * sooner (the card is drawn from them). The newer of the two says which incident is open.
 */
export function freshest(status: TargetStatus, latest: Incident | undefined): TargetStatus {
  if (!latest) return status;
  const closed = latest.state === 'resolved' || latest.state === 'aborted';
  const shown = status.incident;
  if (shown && shown.id === latest.id) {
    return closed ? { ...status, incident: null } : { ...status, incident: { ...shown, state: latest.state, level: latest.level, approval: latest.approval } };
  }
  if (!closed && (!shown || latest.openedAt > shown.openedAt)) {
    const { id, state, level, cause, openedAt, approval } = latest;
    return { ...status, incident: { id, state, level, cause, openedAt, approval } };
  }
  return status;
}

export function fleetMedic(
  local: Medic,
  self: string,
  hosts: () => HostRecord[],
  send: (host: string, target: string, operation: Operation, by: string) => Promise<string | null>,
  /** The newest incident of a target as the events carried it to the leader. */
  latestIncident: (target: string) => Incident | undefined = () => undefined,
): CommandMedic {
  const statusOf = (host: string, name: string): TargetStatus | null => {
    const s = hosts().find((x) => x.host === host)?.targets.find((x) => x.name === name);
    return s ? freshest(s, latestIncident(name)) : null;
  };
  const remote = (): RemoteTarget[] =>
    hosts()
      .filter((h) => h.host !== self)
      .flatMap((h) =>
        h.targets.map(
          (t) =>
            new RemoteTarget(
              h.host,
              () => statusOf(h.host, t.name),
              (operation, by) => send(h.host, t.name, operation, by),
              t.name,
            ),
        ),
      );
  // A remote target offers the operations the command source calls (RemoteTarget), not a watchdog's internals.
  const asDog = (r: RemoteTarget) => r as unknown as TargetWatchdog;
  return {
    target(name: string): TargetWatchdog {
      if (local.targets().some((d) => d.name === name)) return local.target(name);
      const found = remote().find((r) => r.name === name);
      if (found) return asDog(found);
      const all = [...local.targets().map((d) => d.name), ...remote().map((r) => `${r.name} (on ${r.host})`)];
      throw new RequestRejectedError(`unknown target '${name}'; targets in the fleet: ${all.join(', ')}`, 404);
    },
    targets(): TargetWatchdog[] {
      return [...local.targets(), ...remote().map(asDog)];
    },
    status(): MedicStatus {
      const own = local.status();
      const others = hosts()
        .filter((h) => h.host !== self)
        .flatMap((h) => h.targets.map((t) => ({ ...(statusOf(h.host, t.name) ?? t), host: h.host })));
      // Grouped by host: this one first, then the others by name.
      return { medic: own.medic, targets: [...own.targets.map((t) => ({ ...t, host: self })), ...others] };
    },
    audit: (record) => local.audit(record),
  };
}
