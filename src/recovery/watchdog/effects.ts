/**
 * The ladder's actions as adapter calls: one switch, exhaustive (a new action type does not
 * compile until it has a case). Bookkeeping goes out through the outbox before the step is
 * published; work on the gateway runs in the background and its result comes back as an event.
 */
import { GatewayStartError } from '../../errors.js';
import type { Clock, GatewayProcess, GatewayRepairs, Logger, RepairResult } from '../ports.js';
import type { Incident, LadderAction, LadderEvent } from '../types.js';
import type { VitalsMonitor } from '../vitals/ports.js';
import type { AgentBridge } from './agent-bridge.js';
import type { Outbox } from './outbox.js';

export interface EffectPorts {
  target: string;
  gateway: GatewayProcess;
  repairs: GatewayRepairs;
  outbox: Outbox;
  agent: AgentBridge;
  clock: Clock;
  log: Logger;
  dispatch: (event: LadderEvent) => Promise<void>;
  /** Starts a channel (StartChannel); absent: no vitals adapter. */
  vitals?: Pick<VitalsMonitor, 'startChannel'>;
  /** The incident as of the step being performed. */
  incident: () => Incident | null;
  /** A start is in flight until this settles (exits wait for it: GatewayStarted precedes its exit). */
  startInFlight: (done: Promise<void>) => void;
  /** Settles once the start in flight (if any) has been applied. */
  startSettled: () => Promise<void>;
}

/** How many of the gateway's last lines go with a "human needed" notice. */
export const HUMAN_OUTPUT_LINES = 30;

export async function perform(action: LadderAction, p: EffectPorts): Promise<void> {
  switch (action.type) {
    case 'Record':
      return p.outbox.record(action.record);
    case 'SaveIncident':
      // Closed: the agent's own session records (kept while its session could be resumed) go.
      if (action.incident.agent && action.incident.closedAt !== null) p.agent.forget(action.incident.id);
      return p.outbox.incident(action.incident);
    case 'NotifyHuman':
      return p.outbox.human(p.incident(), action.incidentId, action.summary, p.gateway.recentOutput(HUMAN_OUTPUT_LINES), p.clock.now());
    case 'RequestApproval':
      return p.outbox.approval(action.incidentId, action.approval);
    case 'ApprovalClosed':
      return p.outbox.approvalClosed(action.incidentId, action.approval, action.outcome, action.by);
    case 'AnswerAgent':
      return p.agent.answer(action.requestId, { allow: action.allow, reason: action.reason, by: action.by });
    case 'StopAgent':
      return p.agent.stop(action.reason);
    case 'StartAgent': {
      const incident = p.incident();
      return p.agent.start(incident?.id === action.incidentId ? incident : null, action.incidentId, action.session, action.reason, action.resume);
    }
    case 'StartGateway':
      return p.startInFlight(background(p, action.type, () => startGateway(p)));
    case 'StopGateway':
      return void background(p, action.type, async () => {
        const wasRunning = await p.gateway.stop(action.reason, action.urgent);
        // A supervised gateway's exit arrives through onExit; otherwise say it is stopped.
        if (!p.gateway.supervised || !wasRunning) await p.dispatch({ type: 'GatewayStopped' });
      });
    case 'Diagnose':
      return void background(p, action.type, async () => p.dispatch({ type: 'Diagnosed', diagnosis: await p.repairs.diagnose() }));
    case 'RunRepair':
      return void background(p, action.type, async () => {
        const { check, ...result } = await p.repairs.run(action.step, action.pid, action.subject).catch((err: Error) => ({ ok: false, detail: err.message }) as RepairResult);
        await p.dispatch({ type: 'RepairFinished', step: action.step, ...result });
        if (!check) return;
        // Beside the verifying start: its verdict comes after that start was applied (GatewayStarted first).
        const verdict = await check.catch((err: Error) => ({ ok: false, detail: err.message }));
        await p.startSettled();
        await p.dispatch({ type: 'RepairChecked', step: action.step, ...verdict });
      });
    case 'StartChannels':
      return void background(p, action.type, async () => {
        const said = await p.repairs.startChannels?.();
        if (!said) return;
        await p.outbox.record({ kind: 'step', at: p.clock.now(), target: p.target, incidentId: action.incidentId, level: null, text: said });
      });
    case 'SnapshotConfig':
      return void background(p, action.type, async () => {
        // A new copy is a fact: an incident waiting for a human may now have a repair to try.
        if (await p.repairs.snapshotConfig(action.config)) await p.dispatch({ type: 'KnownGoodSaved' });
      });
    case 'StartChannel':
      return void background(p, action.type, async () => {
        const r = p.vitals ? await p.vitals.startChannel(action.channel) : { ok: false, detail: 'no channel starter configured' };
        await p.dispatch({ type: 'ChannelStartFinished', channel: action.channel, ...r });
      });
    case 'EnablePlugin':
      return void background(p, action.type, async () => {
        const r = p.repairs.enablePlugin
          ? await p.repairs.enablePlugin(action.plugin).catch((err: Error) => ({ ok: false, detail: err.message }))
          : { ok: false, detail: 'not an OpenClaw gateway: no plugin to enable' };
        // The card's button goes once the plugin is back (a second click is then a no-op, see checkEnablePlugin).
        if (r.ok) await p.outbox.pluginReenabled(action.incidentId, action.plugin).catch((err: Error) => p.log.warn(`[${p.target}] could not mark plugin ${action.plugin} re-enabled: ${err.message}`));
        await p.dispatch({ type: 'PluginEnableFinished', plugin: action.plugin, incidentId: action.incidentId, by: action.by, ...r });
      });
    case 'ClassifyOutage':
      return void background(p, action.type, async () => {
        // Always answered (null: nothing named): the ladder may be waiting for it to pick the next rung.
        const [failure, startingSince] = await Promise.all([
          Promise.resolve(p.gateway.classifyOutage?.(p.clock.now()) ?? null).catch((err: Error) => {
            p.log.warn(`[${p.target}] could not read what the gateway left behind: ${err.message}`);
            return null;
          }),
          Promise.resolve(p.gateway.runningSince?.() ?? null).catch(() => null),
        ]);
        await p.dispatch({ type: 'OutageClassified', failure, startingSince });
      });
    default:
      return unreachable(action);
  }
}

async function startGateway(p: EffectPorts): Promise<void> {
  const config = await p.repairs.captureConfig().catch((err: Error) => {
    p.log.warn(`[${p.target}] could not read the config: ${err.message}`);
    return null;
  });
  try {
    const pid = await p.gateway.start();
    await p.dispatch({ type: 'GatewayStarted', pid, config });
  } catch (err) {
    const permanent = err instanceof GatewayStartError && err.permanent;
    await p.dispatch({ type: 'GatewayStartFailed', error: (err as Error).message, permanent });
  }
}

/** Work that takes time runs beside the queue; a failure is logged, never thrown into the ladder. */
function background(p: EffectPorts, what: LadderAction['type'], work: () => Promise<void>): Promise<void> {
  return work().catch((err: Error) => p.log.error(`[${p.target}] ${what} failed: ${err.message}`));
}

function unreachable(action: never): never {
  throw new Error(`no effect for action ${JSON.stringify(action)}`);
}
