/** The default vitals adapter for a target's settings (called by the composition root). */
import type { Clock, Logger } from '../ports.js';
import { GatewayVitalsMonitor } from './monitor.js';

const MiB = 1024 * 1024;

/** The target settings the vitals adapter reads (see `config/vitals.ts`). */
export interface VitalsTargetSettings {
  name: string;
  cwd: string | null;
  healthUrl: string;
  readyUrl: string | null;
  probeTimeoutMs: number;
  readinessProbe: boolean;
  vitalsIntervalMs: number;
  memoryLimitMb: number | null;
  channelStartCommand: string;
  providerProbeIntervalMs: number | null;
  providerProbeCommand: string;
  providerProbeTimeoutMs: number;
  modelsStatusCommand: string;
}

export function buildVitalsMonitor(t: VitalsTargetSettings, deps: { clock: Clock; log: Logger; env: NodeJS.ProcessEnv }): GatewayVitalsMonitor {
  const cwd = t.cwd ? { cwd: t.cwd } : {};
  return new GatewayVitalsMonitor({
    target: t.name,
    intervalMs: t.vitalsIntervalMs,
    clock: deps.clock,
    log: deps.log,
    memory: process.platform === 'linux',
    limitBytes: t.memoryLimitMb === null ? null : t.memoryLimitMb * MiB,
    readyUrl: readyUrlFor(t),
    timeoutMs: t.probeTimeoutMs,
    channels: { command: t.channelStartCommand, timeoutMs: 30_000, env: deps.env, ...cwd },
    provider:
      t.providerProbeIntervalMs === null
        ? null
        : {
            intervalMs: t.providerProbeIntervalMs,
            command: t.providerProbeCommand,
            statusCommand: t.modelsStatusCommand,
            timeoutMs: t.providerProbeTimeoutMs,
            env: deps.env,
            ...cwd,
          },
  });
}

/** Where /readyz is: GATEWAY_READY_URL, else the health URL's path swapped (…/healthz -> …/readyz); null when off. */
export function readyUrlFor(t: { readinessProbe: boolean; readyUrl: string | null; healthUrl: string }): string | null {
  if (!t.readinessProbe) return null;
  if (t.readyUrl) return t.readyUrl;
  const u = new URL(t.healthUrl);
  u.pathname = /\/(healthz|health)$/.test(u.pathname) ? u.pathname.replace(/(healthz|health)$/, 'readyz') : '/readyz';
  return u.toString();
}
