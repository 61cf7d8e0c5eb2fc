/** Composition: a target's adapters (its gateway, probe, repairs and vitals) from its config. */
import { join } from 'node:path';
import { markerValue } from '../lib/gateway-marker.js';
import type { MedicConfig, TargetConfig } from '../config.js';
import type { TargetAdapters } from '../medic.js';
import { recordedPids } from '../recovery/pid-record.js';
import type { Clock, Logger } from '../recovery/ports.js';
import { HttpProbe } from '../recovery/probe.js';
import { secretValuesFromText, type Redactor } from '../lib/redact.js';
import { ConfigGuard } from '../recovery/repair/config-guard.js';
import { portFromUrl } from '../recovery/repair/port-holder.js';
import { GatewayRepairKit } from '../recovery/repair/repairs.js';
import { ServiceGateway } from '../recovery/service-gateway.js';
import { journalOf, serviceUnitOf } from '../recovery/service-journal.js';
import { ChildSupervisor, readPidRecord } from '../recovery/supervisor.js';
import { buildVitalsMonitor } from '../recovery/vitals/build.js';

export function targetDataDir(config: MedicConfig, target: string): string {
  return join(config.dataDir, 'targets', target);
}

export function defaultAdapters(
  config: MedicConfig,
  t: TargetConfig,
  deps: { clock: Clock; log: Logger; env: NodeJS.ProcessEnv; redactor?: Redactor },
): TargetAdapters {
  const dataDir = targetDataDir(config, t.name);
  const gateway = t.command
    ? new ChildSupervisor({
        target: t.name,
        command: t.command,
        port: portFromUrl(t.healthUrl),
        dataDir,
        stopTimeoutMs: t.stopTimeoutMs,
        log: deps.log,
        env: deps.env,
        ...(t.cwd ? { cwd: t.cwd } : {}),
      })
    : new ServiceGateway({
        target: t.name,
        restartCommand: t.restartCommand,
        stopCommand: t.stopCommand,
        port: portFromUrl(t.healthUrl),
        logFile: t.logFile,
        journal: journalOf(serviceUnitOf(t.serviceUnit, t.restartCommand), deps),
        timeoutMs: t.startupGraceMs,
        env: deps.env,
        log: deps.log,
      });
  const guard = new ConfigGuard({
    configPath: t.configPath,
    dataDir,
    generations: t.knownGoodGenerations,
    kind: t.configKind,
    clock: deps.clock,
    log: deps.log,
    // A token added or rotated in the config while the medic runs is masked from then on.
    ...(deps.redactor ? { onRead: (text: string) => deps.redactor!.add(secretValuesFromText(text)) } : {}),
  });
  const repairs = new GatewayRepairKit({
    guard,
    healthUrl: t.healthUrl,
    doctorCommand: t.doctorCommand,
    doctorTimeoutMs: t.doctorTimeoutMs,
    // OpenClaw's own config commands only make sense for an OpenClaw config.
    setModeCommand: t.configKind === 'openclaw' ? t.setModeCommand : null,
    validateCommand: t.configKind === 'openclaw' ? t.validateCommand : null,
    openclawCli: t.configKind === 'openclaw' ? 'openclaw' : null,
    env: deps.env,
    ...(t.cwd ? { cwd: t.cwd } : {}),
    gatewayCommand: t.command,
    gatewayMarker: t.command === null ? null : markerValue(dataDir),
    log: deps.log,
    knownPids: () => recordedPids(readPidRecord(dataDir)),
  });
  const probe = new HttpProbe({ url: t.healthUrl, timeoutMs: t.probeTimeoutMs, clock: deps.clock });
  const vitals = buildVitalsMonitor(t, { clock: deps.clock, log: deps.log, env: deps.env });
  return { gateway, probe, repairs, vitals };
}

