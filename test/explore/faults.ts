/**
 * The fault explorer's faults, applied to the real medic and the real processes of one target. Each
 * keeps `flags` up to date: what in the world is broken besides the config (for the monitor's rule that a
 * config-only break never waits for a human).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { RequestRejectedError } from '../../src/errors.js';
import type { TargetWatchdog } from '../../src/recovery/watchdog/index.js';
import { isAlive, waitFor, type ProcessJanitor } from '../fixtures/gateways.js';
import type { MedicUnderTest } from '../e2e/harness.js';
import { variant, type Step } from './plan.js';
import { processesOf, wrappersOf } from './processes.js';
import type { HitLedger } from './verdict.js';

export interface Flags {
  configBroken: boolean;
  squatter: ChildProcess | null;
  frozen: boolean;
  /** Paused by the explorer (pause, or abort, which pauses). */
  paused: boolean;
  /** Incidents whose question the explorer denied: a person chose, they may wait for a person. */
  denied: Set<string>;
  /** When the last fault other than the config's ended. */
  calmSince: number;
  /** The faults of the gateway's own (a kill, a freeze, a squatter's kill, each death of a flap), by incident. */
  hits: HitLedger;
}

export interface FaultWorld {
  m: MedicUnderTest;
  dog: TargetWatchdog;
  port: number;
  configPath: string;
  janitor: ProcessJanitor;
  note: (what: string) => void;
  flags: Flags;
}

const good = (port: number) => JSON.stringify({ gateway: { mode: 'local', port } }, null, 2);

/** The good config, as a person puts it back. */
export const GOOD = {
  async write(w: FaultWorld): Promise<void> {
    await writeFile(w.configPath, good(w.port));
    w.flags.configBroken = false;
  },
};

/** The ways an OpenClaw config is found broken (../shared/reference/openclaw-failures.md, the chaos suite). */
export const CORRUPTIONS: { name: string; text: (port: number) => string }[] = [
  { name: 'invalid JSON', text: () => '{ gateway: { mode: ' },
  { name: 'truncated', text: (port) => good(port).slice(0, 24) },
  { name: 'empty file', text: () => '' },
  { name: 'gateway.mode deleted', text: (port) => JSON.stringify({ gateway: { port } }, null, 2) },
  { name: 'gateway.port not a number', text: () => JSON.stringify({ gateway: { mode: 'local', port: 'abc' } }, null, 2) },
  { name: 'not an object', text: () => '[]' },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway process itself: the one /status names, else the one found for the port. */
async function gatewayPid(w: FaultWorld): Promise<number | null> {
  const shown = w.m.status().pid;
  if (shown !== null) return shown;
  return (await processesOf(w.port)).find((p) => p.role === 'gateway')?.pid ?? null;
}

/** A fault of the gateway's own hits the incident open now (or the one it opens). */
const hit = (w: FaultWorld) => w.flags.hits.record(Date.now(), w.m.status().incident?.id ?? null);

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
};

/** An operator's request; one the medic refuses (409: nothing to abort, busy) is a fine answer. */
async function operator(w: FaultWorld, what: string, request: () => Promise<unknown>): Promise<void> {
  try {
    await request();
  } catch (err) {
    if (!(err instanceof RequestRejectedError)) throw err;
    w.note(`  ${what} refused: ${err.message}`);
  }
}

export async function applyFault(w: FaultWorld, s: Step): Promise<void> {
  const pid = await gatewayPid(w);
  w.note(`${s.fault} (gateway pid ${pid ?? '-'}, hold ${s.holdMs} ms, pick ${s.pick})`);
  const f = w.flags;
  switch (s.fault) {
    case 'kill-gateway':
      if (pid !== null && isAlive(pid)) hit(w);
      if (pid !== null) kill(pid, 'SIGKILL');
      break;
    case 'kill-wrapper': {
      // A wrapper between the medic and the gateway (the shell of a plain command line, OpenClaw's re-launch wrapper).
      const around = pid === null ? [] : await wrappersOf(pid, w.port);
      const victim = around[variant(s.pick, Math.max(1, around.length))];
      w.note(`  wrappers ${around.join(', ') || 'none'}; killing ${victim ?? 'none'}`);
      if (victim !== undefined) {
        hit(w);
        kill(victim, 'SIGKILL');
      }
      break;
    }
    case 'freeze':
      if (pid !== null) {
        f.frozen = true;
        hit(w);
        kill(pid, 'SIGSTOP');
        await sleep(s.holdMs);
        if (isAlive(pid)) kill(pid, 'SIGCONT');
        f.frozen = false;
      }
      break;
    case 'corrupt-config': {
      const c = CORRUPTIONS[variant(s.pick, CORRUPTIONS.length)]!;
      w.note(`  ${c.name}`);
      f.configBroken = true;
      await writeFile(w.configPath, c.text(w.port));
      break;
    }
    case 'delete-config':
      f.configBroken = true;
      await rm(w.configPath, { force: true });
      break;
    case 'restore-config':
      await GOOD.write(w);
      break;
    case 'squat-port': {
      // A foreign process that keeps trying to bind the port: started first, then the gateway is killed, so it
      // races the medic's restart for the port. It holds what it got for holdMs, then lets go.
      const script = `const net=require('net');(function go(){const s=net.createServer();s.once('error',()=>setTimeout(go,20));s.listen(${w.port},'127.0.0.1',()=>console.log('bound'))})()`;
      const squatter = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
      w.janitor.track(squatter.pid);
      f.squatter = squatter;
      let bound = false;
      squatter.stdout!.on('data', () => (bound = true));
      await sleep(150);
      if (pid !== null && isAlive(pid)) hit(w);
      if (pid !== null) kill(pid, 'SIGKILL');
      await sleep(s.holdMs);
      w.note(`  squatter ${bound ? 'held the port' : 'never got the port'}; freed`);
      squatter.kill('SIGKILL');
      await waitFor(() => !isAlive(squatter.pid!), { timeoutMs: 5_000 }).catch(() => {});
      f.squatter = null;
      break;
    }
    case 'flap': {
      // The gateway dies again right after each comeback (three times): killed -9 by a person, or ending by
      // itself (SIGTERM: it exits, code 0, as a gateway whose plugin stops it soon after start-up). The medic
      // must neither give up on it for good nor leave two of it running.
      const signal = variant(s.pick, 2) === 0 ? 'SIGKILL' : 'SIGTERM';
      w.note(`  ${signal === 'SIGKILL' ? 'killed -9' : 'exits by itself'} after each comeback`);
      for (let k = 0; k < 3; k++) {
        const victim = w.m.status().pid;
        if (victim === null) break;
        hit(w);
        kill(victim, signal);
        const back = await waitFor(() => {
          const t = w.m.status();
          return t.health === 'up' && t.pid !== null && t.pid !== victim ? t : null;
        }, { timeoutMs: Math.max(2_000, s.holdMs * 4), what: 'back after a flap' }).catch(() => null);
        if (!back) break;
      }
      break;
    }
    case 'pause-resume':
      f.paused = true;
      await w.dog.pause('explorer', null);
      await sleep(s.holdMs);
      await operator(w, 'resume', () => w.dog.resume('explorer'));
      f.paused = false;
      break;
    case 'recover': {
      const level = ([0, 1, 2] as const)[variant(s.pick, 3)]!;
      w.note(`  level ${level}`);
      await operator(w, 'recover', () => w.dog.recover(level, 'explorer', null));
      break;
    }
    case 'abort':
      // Ends the open incident and pauses; the operator resumes after holdMs.
      f.paused = true;
      await operator(w, 'abort', () => w.dog.abort('explorer', 'the explorer aborted it'));
      await sleep(s.holdMs);
      if (w.m.status().paused) await operator(w, 'resume', () => w.dog.resume('explorer'));
      f.paused = false;
      break;
    case 'answer': {
      // The open question, if one comes within holdMs: approved or denied.
      const question = await waitFor(() => w.dog.pendingApproval(), { timeoutMs: s.holdMs, intervalMs: 100 }).catch(() => null);
      if (!question) {
        w.note('  no open question');
        break;
      }
      const approved = variant(s.pick, 2) === 0;
      const incident = w.m.status().incident?.id;
      w.note(`  ${approved ? 'approved' : 'denied'} ${question.kind}: ${question.question}`);
      if (!approved && incident) f.denied.add(incident);
      await operator(w, 'answer', () => w.dog.decide(question.id, approved, 'explorer'));
      break;
    }
  }
  if (!['corrupt-config', 'delete-config', 'restore-config'].includes(s.fault)) f.calmSince = Date.now();
}
