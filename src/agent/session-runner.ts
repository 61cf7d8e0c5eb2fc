/**
 * Level 3, the part that is the same for every agent: a workspace per incident, the hook
 * endpoint, the agent in a PTY, the relay of what it shows, the caps (a hard time limit, and
 * an idle limit that does not run while a person is being asked), and the transcript.
 * The driver does the agent-specific part; the ladder gives the verdict with its own probes.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MedicStoppingError } from '../errors.js';
import type { AgentCallbacks, AgentReport, AgentRequest, AgentRunner, AgentToolCall, Logger } from '../recovery/ports.js';
import { secretValuesFromFile, type Redactor } from '../lib/redact.js';
import type { AgentOutcome } from '../recovery/types.js';
import type { AgentDriver } from './driver.js';
import { screenToolCall, type ToolScreen } from './guard.js';
import { HookServer } from './hook-server.js';
import { buildRecoveryPrompt, buildResumePrompt, RESUME_MARK, type PromptTarget } from './prompt.js';
import { PtySession } from './pty-session.js';
import { isToolCallLine, LineRelay } from './screen.js';

export interface SessionRunnerOptions {
  driver: AgentDriver;
  /** Per-incident workspaces are made below it (the driver trusts it). */
  workRoot: string;
  transcriptDir: string;
  /** The shell command the agent's hooks run (node + bin/clawmedic-agent-hook.mjs). */
  hookCommand: string;
  promptTarget: PromptTarget;
  redactor: Redactor;
  log: Logger;
  /** Hard cap of a session. */
  timeoutMs: number;
  /** Ends a session that shows nothing new for this long while no question is open. */
  idleTimeoutMs: number;
  approvalTimeoutMs: number;
  /** How often new screen lines are relayed. Default 1 s. */
  relayEveryMs?: number;
  /** Refuses tool calls that would show the model a secret, and marks those a person must weigh (guard.ts). */
  screen?: ToolScreen;
}

/** Why the runner cut a session short. */
class SessionEnd extends Error {
  constructor(
    readonly outcome: AgentOutcome,
    message: string,
  ) {
    super(message);
  }
}

export class AgentSessionRunner implements AgentRunner {
  constructor(private readonly o: SessionRunnerOptions) {}

  async run(request: AgentRequest, callbacks: AgentCallbacks, signal: AbortSignal): Promise<AgentReport> {
    const o = this.o;
    const runNo = request.incident.agent?.runs ?? 1;
    const workspace = join(o.workRoot, request.incident.id);
    await mkdir(workspace, { recursive: true, mode: 0o700 });
    // Secrets of the config as it is now (it may have changed since start-up) never reach the prompt.
    o.redactor.add(await secretValuesFromFile(o.promptTarget.configPath));
    // A session the previous medic left is taken up again by its id, with a short word on what happened.
    const resume = request.resume ?? null;
    const agentSession = resume ?? randomUUID();
    const original = o.redactor.redact(buildRecoveryPrompt(request, o.promptTarget));
    const prompt = resume ? o.redactor.redact(buildResumePrompt(request, o.promptTarget)) : original;
    let asking = 0;
    let lastProgress = Date.now();
    let onStop: (words: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (onStop = resolve));
    // One question at a time (the ladder holds one open question): parallel tool calls wait their turn.
    let questions: Promise<unknown> = Promise.resolve();
    const permission = async (asked: AgentToolCall) => {
      const { call, refused } = screenToolCall(o.screen, asked);
      if (refused) {
        note(refused);
        return { allow: false, reason: refused, by: 'clawmedic' };
      }
      asking += 1;
      try {
        const decided = questions.then(() => callbacks.permission(call));
        questions = decided.catch(() => {});
        return await decided;
      } finally {
        asking -= 1;
        lastProgress = Date.now();
      }
    };
    const hooks = await HookServer.start({
      permission,
      event: (name, payload) => {
        if (name === 'Stop') onStop(typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : '');
      },
    });
    const notes: string[] = [];
    const note = (text: string) => {
      notes.push(text);
      callbacks.output([`[clawmedic] ${text}`]);
    };
    let session: PtySession | null = null;
    const tmp = join(dirname(o.workRoot), 'tmp', request.incident.id);
    const ctl = new AbortController();
    const end = (outcome: AgentOutcome, why: string) => {
      if (!ctl.signal.aborted) ctl.abort(new SessionEnd(outcome, why));
    };
    const onAbort = () => end('aborted', typeof signal.reason === 'string' ? signal.reason : signal.reason instanceof Error ? signal.reason.message : 'aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    const relay = new LineRelay();
    // The prompt is long and already known (it is in the transcript): chat gets what the agent does.
    let agentSpoke = false;
    // A resumed session first redraws its history, which the previous medic relayed already: nothing is
    // relayed before the echo of the resume prompt.
    let caughtUp = !resume;
    const fromPrompt = (line: string) => {
      const text = line.replace(/^❯/, '').trim();
      if (!caughtUp) {
        caughtUp = text.includes(RESUME_MARK);
        return true;
      }
      agentSpoke ||= line.startsWith('●') || isToolCallLine(line);
      return !agentSpoke && text.length > 0 && (prompt.includes(text) || original.includes(text));
    };
    const flush = () => {
      const lines = session ? relay.next(session.transcript()).filter((l) => !fromPrompt(l)) : [];
      if (!lines.length) return;
      lastProgress = Date.now();
      callbacks.output(lines);
    };
    const timers = [
      setTimeout(() => end('timeout', `stopped at the ${span(o.timeoutMs)} cap`), o.timeoutMs),
      setInterval(flush, o.relayEveryMs ?? 1_000),
      setInterval(() => {
        if (asking === 0 && Date.now() - lastProgress >= o.idleTimeoutMs) {
          end('idle', `nothing new on screen for ${span(o.idleTimeoutMs)}`);
        }
      }, 500),
    ];
    let outcome: AgentOutcome;
    let detail: string;
    try {
      const spec = await o.driver.prepare({
        workspace,
        hook: { command: o.hookCommand, url: hooks.url, token: hooks.token },
        approvalTimeoutMs: o.approvalTimeoutMs,
        session: { id: agentSession, resume: Boolean(resume) },
      });
      if (ctl.signal.aborted) throw ctl.signal.reason;
      // The CLI's own temp files (a folder per workspace in $TMPDIR/claude-<uid>, tool output among them)
      // stay under the medic's data dir, one dir per incident, removed with the session.
      await mkdir(tmp, { recursive: true, mode: 0o700 });
      callbacks.started?.(agentSession);
      session = PtySession.start({ ...spec, env: { ...spec.env, TMPDIR: tmp }, cols: 120, rows: 40 });
      o.log.info(`[${request.target}] ${request.incident.id}: AI agent started (${o.driver.name}, pid ${session.pid})`);
      const deciding = () => asking > 0;
      const result = await o.driver.runTurn(session, prompt, { stopped, permission, note, deciding }, ctl.signal);
      ({ outcome, detail } = result);
    } catch (err) {
      const reason = ctl.signal.aborted ? ctl.signal.reason : err;
      outcome = reason instanceof SessionEnd ? reason.outcome : 'error';
      detail = (reason as Error).message;
      if (resume && outcome === 'error') detail = `could not resume the AI agent's session ${resume}: ${detail}`;
    } finally {
      for (const t of timers) clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      flush();
      await session?.stop();
      await hooks.close();
      // The medic stopping suspends the session (the next medic resumes it): the agent's records stay.
      if (!(signal.reason instanceof MedicStoppingError)) await this.forgetFiles(workspace, tmp);
    }
    // Redacted on logical lines: a secret the 120-column terminal wrapped is found whole.
    const transcript = o.redactor.redactLines([
      `clawmedic AI agent session: ${request.incident.id}, run ${runNo}, ${o.driver.name}, ${resume ? 'resumed' : 'session'} ${agentSession}`,
      `ended: ${outcome}: ${detail}`,
      ...notes.map((n) => `note: ${n}`),
      '--- screen ---',
      ...(session?.transcript() ?? []),
    ]);
    const transcriptPath = await this.save(request.incident.id, runNo, transcript);
    // The detail goes to the thread: it may quote the screen (an unknown dialog's text).
    return { outcome, detail: o.redactor.redact(detail || outcome), transcript, transcriptPath };
  }

  /** The incident closed: what its sessions left (a session of a killed medic, kept to be resumed) goes. */
  async forget(incidentId: string): Promise<void> {
    await this.forgetFiles(join(this.o.workRoot, incidentId), join(dirname(this.o.workRoot), 'tmp', incidentId));
  }

  /** What the agent kept of the session besides the medic's redacted transcript: its logs, its temp files. */
  private async forgetFiles(workspace: string, tmp: string): Promise<void> {
    try {
      await this.o.driver.forget?.(workspace);
      await rm(tmp, { recursive: true, force: true });
    } catch (err) {
      this.o.log.warn(`could not remove the agent's own session files: ${(err as Error).message}`);
    }
  }

  private async save(incidentId: string, run: number, transcript: string[]): Promise<string | null> {
    const path = join(this.o.transcriptDir, `${incidentId}-agent-${run}.txt`);
    try {
      await mkdir(this.o.transcriptDir, { recursive: true, mode: 0o700 });
      await writeFile(path, `${transcript.join('\n')}\n`, { mode: 0o600 });
      return path;
    } catch (err) {
      this.o.log.warn(`could not save the agent transcript ${path}: ${(err as Error).message}`);
      return null;
    }
  }
}

/** "10 min", "90 s". */
function span(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
