/**
 * The whole ladder in one table: from a phase, an event leads to a phase and the work the
 * ladder asks for (the actions other than Record and SaveIncident). Each "from" is a named
 * situation built with the harness; every event type the ladder takes has at least one row.
 * Adding a failure class should add a row here.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, phaseOf } from '../../../src/recovery/ladder/index.js';
import type { LadderAction, LadderEvent, TargetPhase } from '../../../src/recovery/types.js';
import {
  LadderHarness,
  abort,
  badConfig,
  boot,
  diagnosed,
  diagnosis,
  exhausted,
  exited,
  killed,
  pause,
  probeFail,
  probeOk,
  recover,
  repairFinished,
  resume,
  startFailed,
  started,
  stopped,
  tick,
  workTypes,
} from './ladder-harness.js';
import { TOKEN_REFUSED, degradedLoop, leak, provider, ready, sample, telegramFailing } from './vitals-events.js';
import { duel, nodeTooOld, outOfMemory, pluginCrash, staleLock, stateSchema, versionDrift } from './failure-fixtures.js';

const readOnly = (tool: string, command: string) => tool === 'Bash' && command.startsWith('cat ');
const withAgent = () => new LadderHarness({ options: { agentEnabled: true, agentApprovalTimeoutMs: 60_000, agentAutoAllow: readOnly } });
const squatter = diagnosis({ portHolder: { pid: 4242, command: 'python3 -m http.server', stale: false } });

/** Situations to start from; each returns a harness whose next event is the row's event. */
const from = {
  /** Nothing has happened yet (before Boot). */
  'stopped: before boot': () => new LadderHarness(),
  'starting: booted, start in flight': () => {
    const h = new LadderHarness();
    h.send(boot());
    return h;
  },
  'starting: running, one good probe': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(5_000, probeOk());
    return h;
  },
  healthy: () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.advance(60_000);
    return h;
  },
  'healthy: on the same config as a run killed after 25 s healthy': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100, 'sha256:aaa'));
    h.probes(2 + 5, probeOk()); // up for 25 s
    h.send(killed());
    h.after(1_000, started(101, 'sha256:aaa'));
    h.probes(2, probeOk()); // up again: the incident resolves
    h.advance(5_000); // the next probe is due: 30 s in total on this content
    return h;
  },
  'stopped: watch-only, before boot': () => new LadderHarness({ options: { supervised: false, canRestart: false } }),
  'starting: watch-only, two failed probes': () => {
    const h = new LadderHarness({ options: { supervised: false, canRestart: false } });
    h.send(boot());
    h.probes(2, probeFail('ECONNREFUSED'));
    return h;
  },
  'healthy: recovered by a run that exits by itself soon after': () => {
    const h: LadderHarness = from.healthy();
    h.send(killed());
    h.after(500, started(101));
    h.probes(2, probeOk()); // resolved
    h.advance(3_000);
    return h;
  },
  'healthy: two failed probes': () => {
    const h: LadderHarness = from.healthy();
    h.probes(2, probeFail());
    return h;
  },
  'restarting: stop in flight (not answering)': () => {
    const h: LadderHarness = from['healthy: two failed probes']();
    h.after(5_000, probeFail());
    return h;
  },
  'restarting: restarted, one good probe': () => {
    const h: LadderHarness = from.healthy();
    h.send(killed());
    h.after(1_000, started(101));
    h.after(5_000, probeOk());
    return h;
  },
  'restarting: backoff due': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_000, exited({ code: 1 })); // never healthy: immediate retry
    h.after(100, started(101));
    h.after(1_000, exited({ code: 1 })); // again: a 1 s backoff
    h.advanceTo(h.state.restartAt ?? h.now);
    return h;
  },
  'repairing: diagnosis in flight': () => badConfig(),
  'repairing: doctor in flight': () => {
    const h = badConfig();
    h.send(diagnosed(diagnosis({ configOk: false })));
    return h;
  },
  'repairing: restored config being verified, its validation beside the start': () => {
    const h = badConfig();
    h.sendAll(diagnosed(diagnosis({ configOk: false, lkg: true, differs: true })), repairFinished('restore-config', true, 'restored'), started(101));
    return h;
  },
  'repairing: last diagnosis in flight': () => {
    const h = badConfig();
    for (let i = 0; i < h.options.maxDoctorRuns; i++) h.sendAll(diagnosed(diagnosis({ configOk: false })), repairFinished('doctor', false, 'exit 1'));
    return h;
  },
  'repairing: last diagnosis in flight, agent on': () => {
    const h = withAgent();
    badConfig(h);
    for (let i = 0; i < h.options.maxDoctorRuns; i++) h.sendAll(diagnosed(diagnosis({ configOk: false })), repairFinished('doctor', false, 'exit 1'));
    return h;
  },
  'waiting-for-human: may I stop the squatter?': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_000, exited({ code: 1, hint: 'port' }));
    h.send(diagnosed(squatter));
    return h;
  },
  'waiting-for-human: the question expired': () => {
    const h: LadderHarness = from['waiting-for-human: may I stop the squatter?']();
    h.advanceTo(h.openIncident.approval?.expiresAt ?? h.now);
    return h;
  },
  'waiting-for-human: level 4': () => exhausted(),
  'waiting-for-human: level 4, config broken under the running gateway, no copy': () => {
    const h: LadderHarness = from.healthy();
    h.send({ type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: false });
    h.advance(5_000);
    return h;
  },
  'waiting-for-human: restore the config under the running gateway?': () => {
    const h: LadderHarness = from.healthy();
    h.send({ type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: true });
    return h;
  },
  'waiting-for-human: level 4, half-open retry due': () => {
    const h = exhausted();
    h.advanceTo(h.openIncident.retryAt ?? h.now);
    return h;
  },
  'agent: session running': () => {
    const h: LadderHarness = from['repairing: last diagnosis in flight, agent on']();
    h.send(diagnosed(diagnosis({ configOk: false })));
    return h;
  },
  'agent: session running, its CLI session id recorded': () => {
    const h: LadderHarness = from['agent: session running']();
    h.send({ type: 'AgentSessionStarted', session: 'gw-1#1', agentSession: '6f1c2d3e-0000-4000-8000-000000000001' });
    return h;
  },
  'healthy, agent on': () => {
    const h = withAgent();
    h.bootHealthy(100);
    h.advance(60_000);
    return h;
  },
  'agent: asks to run a command': () => {
    const h: LadderHarness = from['agent: session running']();
    h.send({ type: 'AgentPermissionRequested', requestId: 'r1', tool: 'Bash', command: 'openclaw config set gateway.mode local', description: null });
    return h;
  },
  'healthy: RSS growing 1.2 GiB/min towards a 4288 MiB limit (3 samples)': () => {
    const h: LadderHarness = from.healthy();
    leak(h, 3, 2800, 100);
    h.advance(5_000); // the next sample is due
    return h;
  },
  'restarting: channels.start telegram in flight': () => {
    const h: LadderHarness = from.healthy();
    h.send(telegramFailing());
    return h;
  },
  'restarting: channels.start telegram done': () => {
    const h: LadderHarness = from['restarting: channels.start telegram in flight']();
    h.after(1_000, { type: 'ChannelStartFinished', channel: 'telegram', ok: true, detail: 'rc 0 in 0.9 s' });
    return h;
  },
  'waiting-for-human: the Telegram token was refused': () => {
    const h: LadderHarness = from.healthy();
    h.send(telegramFailing([TOKEN_REFUSED]));
    return h;
  },
  'restarting: a plugin crashed the gateway once': () => {
    const h: LadderHarness = from.healthy();
    h.send(pluginCrash());
    h.after(500, started(101));
    h.advance(15_000);
    return h;
  },
  'repairing: diagnosis in flight after a plugin crashed two starts': () => {
    const h: LadderHarness = from['restarting: a plugin crashed the gateway once']();
    h.send(pluginCrash());
    return h;
  },
  'repairing: plugin disabled, verifying start, one good probe': () => {
    const h: LadderHarness = from['repairing: diagnosis in flight after a plugin crashed two starts']();
    h.sendAll(diagnosed(diagnosis()), repairFinished('disable-plugin', true, 'disabled only plugin crash-plugin'), started(102));
    h.after(15_000, probeOk());
    return h;
  },
  'repairing: diagnosis in flight after a stale lock': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(1_500, staleLock());
    return h;
  },
  'repairing: diagnosis in flight after two supervisors': () => {
    const h = new LadderHarness();
    h.sendAll(boot(), started(100));
    h.after(2_000, duel());
    return h;
  },
  paused: () => {
    const h: LadderHarness = from.healthy();
    h.send(pause('alice', null));
    return h;
  },
  'paused: maintenance window over': () => {
    const h: LadderHarness = from.healthy();
    h.send(pause('alice', h.now + 600_000));
    h.advance(600_000);
    return h;
  },
  'paused: waiting for a human at level 4, gateway down': () => {
    const h = exhausted();
    h.send(pause('alice', null));
    return h;
  },
  'paused: aborted, gateway down': () => {
    const h: LadderHarness = from.healthy();
    h.send(killed());
    h.send(abort());
    h.send(exited({ code: 1 }));
    return h;
  },
} satisfies Record<string, () => LadderHarness>;

type From = keyof typeof from;
type Work = LadderAction['type'];

interface Row {
  from: From;
  event: LadderEvent;
  to: TargetPhase;
  work: Work[];
}

const table: Row[] = [
  // levels 0-1: supervise
  { from: 'stopped: before boot', event: boot(), to: 'starting', work: ['StartGateway'] },
  { from: 'starting: booted, start in flight', event: started(100), to: 'starting', work: [] },
  { from: 'starting: booted, start in flight', event: startFailed(), to: 'restarting', work: ['StartGateway'] },
  { from: 'starting: running, one good probe', event: probeOk(), to: 'healthy', work: [] },
  { from: 'starting: running, one good probe', event: { type: 'GatewayServing', pid: 101 }, to: 'starting', work: [] }, // the listener behind a wrapper: its pid is shown
  { from: 'healthy', event: probeOk(), to: 'healthy', work: ['SnapshotConfig'] }, // healthy for snapshotAfterMs: last-known-good
  { from: 'healthy: on the same config as a run killed after 25 s healthy', event: probeOk(), to: 'healthy', work: ['SnapshotConfig'] }, // proof summed across runs on one content
  { from: 'healthy', event: tick(), to: 'healthy', work: [] },
  // watch-only and flapping
  { from: 'stopped: watch-only, before boot', event: { type: 'Boot', adoptedPid: null, doctor: false }, to: 'starting', work: [] }, // says once what it can and cannot do
  { from: 'starting: watch-only, two failed probes', event: probeFail('ECONNREFUSED'), to: 'waiting-for-human', work: ['ClassifyOutage', 'NotifyHuman'] }, // no restart pretended; its log may name the class
  { from: 'healthy: recovered by a run that exits by itself soon after', event: exited({ code: 1 }), to: 'flapping', work: ['StartGateway'] }, // the same incident reopens
  { from: 'healthy', event: boot(100), to: 'starting', work: [] },
  // the medic killed -9 with its gateway while asking to restore under it: gone, the question no longer applies
  { from: 'waiting-for-human: restore the config under the running gateway?', event: boot(), to: 'repairing', work: ['ApprovalClosed', 'Diagnose'] },
  { from: 'waiting-for-human: restore the config under the running gateway?', event: boot(100), to: 'waiting-for-human', work: [] },
  { from: 'healthy: two failed probes', event: probeFail(), to: 'restarting', work: ['StopGateway'] },
  { from: 'healthy', event: killed(), to: 'restarting', work: ['StartGateway'] },
  { from: 'restarting: stop in flight (not answering)', event: exited({ code: null, signal: 'SIGTERM' }), to: 'restarting', work: ['StartGateway'] },
  { from: 'restarting: stop in flight (not answering)', event: stopped(), to: 'restarting', work: ['StartGateway'] },
  { from: 'restarting: restarted, one good probe', event: probeOk(), to: 'healthy', work: [] },
  { from: 'restarting: backoff due', event: tick(), to: 'restarting', work: ['StartGateway'] },
  // level 2: repair
  { from: 'starting: booted, start in flight', event: exited({ code: 78, hint: 'config' }), to: 'repairing', work: ['Diagnose'] },
  { from: 'repairing: diagnosis in flight', event: diagnosed(diagnosis({ configOk: false })), to: 'repairing', work: ['RunRepair'] },
  { from: 'repairing: doctor in flight', event: repairFinished('doctor', true), to: 'repairing', work: ['StartGateway'] },
  { from: 'repairing: doctor in flight', event: repairFinished('doctor', false), to: 'repairing', work: ['Diagnose'] },
  { from: 'repairing: diagnosis in flight', event: diagnosed(squatter), to: 'waiting-for-human', work: ['RequestApproval'] },
  // `openclaw config validate` runs beside the verifying start of a restore (issue 10): its "no" undoes the verification
  { from: 'repairing: restored config being verified, its validation beside the start', event: { type: 'RepairChecked', step: 'restore-config', ok: false, detail: 'openclaw config validate says no (exit 1): bad' }, to: 'repairing', work: ['StopGateway'] },
  { from: 'repairing: restored config being verified, its validation beside the start', event: { type: 'RepairChecked', step: 'restore-config', ok: true, detail: 'openclaw config validate: ok' }, to: 'repairing', work: [] },
  { from: 'healthy', event: { type: 'ConfigChanged', ok: false, error: 'JSON5: invalid character', lastKnownGood: true }, to: 'waiting-for-human', work: ['RequestApproval'] },
  { from: 'healthy', event: { type: 'ConfigChanged', ok: true, error: null, lastKnownGood: true }, to: 'healthy', work: [] },
  // failure classes read from how the gateway exited (issue 11)
  { from: 'healthy', event: pluginCrash(), to: 'restarting', work: ['StartGateway'] }, // the first crash: restarted, class named
  { from: 'restarting: a plugin crashed the gateway once', event: pluginCrash(), to: 'repairing', work: ['Diagnose'] }, // the same plugin again: level 2
  { from: 'repairing: diagnosis in flight after a plugin crashed two starts', event: diagnosed(diagnosis()), to: 'repairing', work: ['RunRepair'] }, // disable-plugin crash-plugin
  { from: 'repairing: plugin disabled, verifying start, one good probe', event: probeOk(), to: 'healthy', work: ['StartChannels'] }, // channels OpenClaw's breaker suppressed
  // an operator re-enables the plugin afterwards (the resolved card's button): OpenClaw's CLI, no restart, no incident
  { from: 'healthy', event: { type: 'PluginEnableRequested', plugin: 'crash-plugin', incidentId: 'gw-1', by: 'alice' }, to: 'healthy', work: ['EnablePlugin'] },
  { from: 'healthy', event: { type: 'PluginEnableFinished', plugin: 'crash-plugin', incidentId: 'gw-1', by: 'alice', ok: true, detail: 'Enabled plugin' }, to: 'healthy', work: [] },
  // a service's outage named from its log (ClassifyOutage): late news for a healthy target changes nothing
  { from: 'healthy', event: { type: 'OutageClassified', failure: { class: 'out-of-memory', culprit: null, evidence: [], summary: 'ran out of memory' } }, to: 'healthy', work: [] },
  { from: 'healthy', event: { type: 'OutageClassified', failure: null }, to: 'healthy', work: [] },
  { from: 'healthy', event: outOfMemory(), to: 'restarting', work: ['StartGateway'] }, // named plainly, restarted as usual
  { from: 'starting: booted, start in flight', event: staleLock(), to: 'repairing', work: ['Diagnose'] },
  { from: 'repairing: diagnosis in flight after a stale lock', event: diagnosed(diagnosis()), to: 'repairing', work: ['RunRepair'] }, // remove-stale-lock (pid 4242)
  { from: 'starting: booted, start in flight', event: versionDrift(), to: 'repairing', work: ['Diagnose'] }, // then the doctor
  { from: 'starting: booted, start in flight', event: stateSchema(), to: 'waiting-for-human', work: ['NotifyHuman'] }, // at once, no restart loop
  { from: 'starting: booted, start in flight', event: nodeTooOld(), to: 'waiting-for-human', work: ['NotifyHuman'] },
  { from: 'starting: booted, start in flight', event: duel(), to: 'repairing', work: ['Diagnose'] }, // who is the other one?
  { from: 'repairing: diagnosis in flight after two supervisors', event: diagnosed({ ...diagnosis(), otherSupervisor: 'a gateway clawmedic did not start: pid 777 (openclaw-gateway)' }), to: 'waiting-for-human', work: ['NotifyHuman'] },
  // questions for people
  { from: 'waiting-for-human: may I stop the squatter?', event: { type: 'ApprovalDecided', approvalId: 'gw-1-a1', approved: true, by: 'alice' }, to: 'repairing', work: ['ApprovalClosed', 'RunRepair'] },
  { from: 'waiting-for-human: may I stop the squatter?', event: { type: 'ApprovalDecided', approvalId: 'gw-1-a1', approved: false, by: 'alice' }, to: 'waiting-for-human', work: ['ApprovalClosed', 'NotifyHuman'] },
  // the squatter left by itself before anyone answered: the question is withdrawn, the gateway started (found by the explorer)
  { from: 'waiting-for-human: may I stop the squatter?', event: { type: 'PortFreed', pid: 4242 }, to: 'repairing', work: ['ApprovalClosed', 'StartGateway'] },
  { from: 'waiting-for-human: may I stop the squatter?', event: { type: 'PortFreed', pid: 999 }, to: 'waiting-for-human', work: [] }, // another pid: not the one asked about
  { from: 'waiting-for-human: the question expired', event: tick(), to: 'waiting-for-human', work: ['ApprovalClosed', 'NotifyHuman'] },
  // level 3: the agent
  { from: 'repairing: last diagnosis in flight', event: diagnosed(diagnosis({ configOk: false })), to: 'waiting-for-human', work: ['NotifyHuman'] },
  { from: 'repairing: last diagnosis in flight, agent on', event: diagnosed(diagnosis({ configOk: false })), to: 'agent', work: ['StartAgent'] },
  { from: 'agent: session running', event: { type: 'AgentPermissionRequested', requestId: 'r1', tool: 'Bash', command: 'cat /etc/hosts', description: null }, to: 'agent', work: ['AnswerAgent'] },
  { from: 'agent: session running', event: { type: 'AgentPermissionRequested', requestId: 'r1', tool: 'Bash', command: 'rm -rf /tmp/x', description: null }, to: 'agent', work: ['RequestApproval'] },
  { from: 'agent: session running', event: { type: 'AgentSessionStarted', session: 'gw-1#1', agentSession: '6f1c2d3e-0000-4000-8000-000000000001' }, to: 'agent', work: [] }, // kept with the incident
  { from: 'agent: session running, its CLI session id recorded', event: boot(), to: 'agent', work: ['StartAgent'] }, // the medic restarted: resumed by that id
  { from: 'agent: session running', event: boot(), to: 'agent', work: ['Diagnose'] }, // no id recorded: says why, diagnoses again (level 3 until it escalates)
  // latent corruption, no known-good copy: the agent beside the running gateway (never stopped for it)
  { from: 'healthy, agent on', event: { type: 'ConfigChanged', ok: false, error: 'gateway.mode: missing', lastKnownGood: false }, to: 'agent', work: ['StartAgent'] },
  { from: 'agent: asks to run a command', event: { type: 'ApprovalDecided', approvalId: 'gw-1-t1', approved: true, by: 'alice', scope: 'incident' }, to: 'agent', work: ['ApprovalClosed', 'AnswerAgent'] },
  { from: 'agent: session running', event: { type: 'AgentFinished', session: 'gw-1#1', outcome: 'finished', detail: 'RECOVERY SUMMARY: set gateway.mode' }, to: 'agent', work: ['StartGateway'] },
  { from: 'agent: session running', event: { type: 'AgentFinished', session: 'gw-1#0', outcome: 'finished', detail: 'an earlier session' }, to: 'agent', work: [] },
  // level 4: a human
  { from: 'waiting-for-human: level 4', event: killed(), to: 'waiting-for-human', work: [] },
  // new facts re-evaluate an incident waiting for a human
  { from: 'waiting-for-human: level 4, config broken under the running gateway, no copy', event: { type: 'KnownGoodSaved' }, to: 'waiting-for-human', work: ['RequestApproval'] },
  { from: 'waiting-for-human: level 4, config broken under the running gateway, no copy', event: killed(), to: 'repairing', work: ['Diagnose'] },
  { from: 'waiting-for-human: level 4', event: { type: 'ConfigChanged', ok: true, error: null, lastKnownGood: false }, to: 'repairing', work: ['StartGateway'] },
  { from: 'waiting-for-human: level 4', event: { type: 'ConfigChanged', ok: false, error: 'still broken', lastKnownGood: false }, to: 'repairing', work: ['Diagnose'] },
  { from: 'healthy', event: { type: 'KnownGoodSaved' }, to: 'healthy', work: [] },
  { from: 'waiting-for-human: level 4, half-open retry due', event: tick(), to: 'waiting-for-human', work: ['StartGateway'] },
  // operators
  { from: 'healthy', event: recover(1), to: 'restarting', work: ['StopGateway'] },
  { from: 'waiting-for-human: level 4', event: recover(2), to: 'repairing', work: ['Diagnose'] },
  { from: 'waiting-for-human: level 4', event: recover(4), to: 'waiting-for-human', work: ['NotifyHuman'] },
  { from: 'agent: asks to run a command', event: abort(), to: 'paused', work: ['ApprovalClosed', 'AnswerAgent', 'StopAgent'] },
  { from: 'healthy', event: abort(), to: 'healthy', work: [] },
  { from: 'healthy', event: pause(), to: 'paused', work: [] },
  { from: 'paused', event: killed(), to: 'paused', work: [] },
  { from: 'paused', event: resume(), to: 'healthy', work: [] },
  { from: 'paused: aborted, gateway down', event: resume(), to: 'restarting', work: ['StartGateway'] },
  // a resume is an operator's act: an incident waiting for a human looks again
  { from: 'paused: waiting for a human at level 4, gateway down', event: resume(), to: 'repairing', work: ['Diagnose'] },
  { from: 'paused: maintenance window over', event: tick(), to: 'healthy', work: [] },
  // vitals: memory, readiness, channels, the event loop, the model provider (ladder/vitals.ts)
  { from: 'healthy', event: sample(800), to: 'healthy', work: [] }, // flat: shown, nothing done
  { from: 'healthy: RSS growing 1.2 GiB/min towards a 4288 MiB limit (3 samples)', event: sample(3100), to: 'restarting', work: ['StopGateway'] }, // planned restart before the OOM
  { from: 'healthy', event: ready(), to: 'healthy', work: [] },
  { from: 'healthy', event: telegramFailing(), to: 'restarting', work: ['StartChannel'] }, // the channel, not the gateway
  { from: 'restarting: channels.start telegram in flight', event: { type: 'ChannelStartFinished', channel: 'telegram', ok: true, detail: 'rc 0 in 0.9 s' }, to: 'restarting', work: [] },
  { from: 'restarting: channels.start telegram done', event: ready(), to: 'healthy', work: [] }, // /readyz back: resolved
  { from: 'healthy', event: telegramFailing([TOKEN_REFUSED]), to: 'waiting-for-human', work: ['NotifyHuman'] }, // revoked token: a person's step, no restart
  { from: 'waiting-for-human: the Telegram token was refused', event: { type: 'ConfigChanged', ok: true, error: null, lastKnownGood: true }, to: 'waiting-for-human', work: [] }, // the gateway hot-restarts the channel itself
  { from: 'waiting-for-human: the Telegram token was refused', event: ready(), to: 'healthy', work: [] },
  { from: 'healthy', event: degradedLoop(130_000), to: 'waiting-for-human', work: ['NotifyHuman'] }, // OpenClaw's figures, reported (EVENT_LOOP_ACTION=report)
  { from: 'healthy', event: provider('auth'), to: 'waiting-for-human', work: ['NotifyHuman'] },
  { from: 'healthy', event: provider('rate-limit'), to: 'healthy', work: [] }, // 429: wait, never restart
];

describe('the ladder as a table: phase x event -> phase + work', () => {
  it.each(table.map((r) => ({ ...r, type: r.event.type })))('$from + $type -> $to $work', ({ from: start, event, to, work }) => {
    const h: LadderHarness = from[start]();
    const actions = h.send(event);
    expect({ to: phaseOf(h.state), work: workTypes(actions) }).toEqual({ to, work });
  });

  it('has a row for every event type the ladder takes', () => {
    const covered = new Set(table.map((r) => r.event.type));
    expect(EVENT_TYPES.filter((t) => !covered.has(t))).toEqual([]);
  });

  it('starts every row from the phase its name says', () => {
    const wrong = (Object.keys(from) as From[])
      .map((name) => ({ name, phase: phaseOf(from[name]().state) }))
      .filter(({ name, phase }) => !name.startsWith(phase));
    expect(wrong).toEqual([]);
  });
});
