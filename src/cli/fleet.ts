/**
 * `clawmedic fleet forget <host>`: talks to etcd directly with this host's fleet settings (docs/fleet.md);
 * the leader closes the forgotten host's "host lost" incident and audits it.
 */
import { hostname, userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import { usageError, UsageError, type ParsedCommand } from './commands.js';

export async function fleetCommand(cmd: ParsedCommand, env: NodeJS.ProcessEnv): Promise<string> {
  const { spec } = cmd;
  if (cmd.arg !== 'forget' || !cmd.id) throw usageError(spec, `the fleet command is 'fleet forget <host>' (got '${[cmd.arg, cmd.id].filter(Boolean).join(' ')}')`);
  const host = cmd.id;
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(host)) throw usageError(spec, `'${host}' is not a fleet host name (letters, digits, - and _)`);
  const config = loadConfig(env);
  if (!config.fleet) throw usageError(spec, 'needs the fleet settings (FLEET_ETCD_ENDPOINTS, FLEET_NAME, ...) of this host in .env');
  const [{ EtcdCoordination, etcdOptions }, { fleetKeys }, { forgetHost, ForgetRefusedError }] = await Promise.all([
    import('../fleet/etcd-coordination.js'),
    import('../fleet/keys.js'),
    import('../fleet/forget.js'),
  ]);
  const coord = new EtcdCoordination(etcdOptions(config.fleet));
  const keys = fleetKeys(config.fleet.name);
  const by = `${userInfo().username}@${config.fleet.host ?? hostname()}`;
  try {
    const done = await forgetHost(coord, keys, host, by, Date.now());
    const names = done.targets.length ? `target names ${done.targets.join(', ')} are free` : 'it held no target name';
    return `forgot host ${host} in fleet ${keys.fleet} (as ${by}): ${names}; the leader ${done.lost ? 'closes its "host lost" incident and ' : ''}audits it`;
  } catch (err) {
    if (err instanceof ForgetRefusedError) throw new UsageError(`clawmedic fleet forget: ${err.message}`);
    throw err;
  } finally {
    await coord.close();
  }
}
