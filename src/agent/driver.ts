/**
 * The agent-driver port: how one kind of AI coding agent is set up, started in a PTY and
 * steered through one recovery turn. The Claude Code driver (`claude-code.ts`) is the first;
 * the session runner (`session-runner.ts`) owns everything that is the same for all of them
 * (the PTY, the caps, the relay, the hook endpoint, the transcript).
 */
import type { AgentToolCall } from '../recovery/ports.js';
import type { PtySession } from './pty-session.js';

export interface SpawnSpec {
  command: string;
  args: string[];
  /** The whole environment of the agent: nothing of the medic's own env is passed unless listed. */
  env: Record<string, string>;
  cwd: string;
}

export interface DriverSetup {
  /** The directory the agent works in (trusted, created). */
  workspace: string;
  /** The command Claude Code-style hooks run, and the endpoint it reaches. */
  hook: { command: string; url: string; token: string };
  /** How long a permission hook may wait for a person. */
  approvalTimeoutMs: number;
  /** The agent's own session id: a new session under this id, or (`resume`) the earlier one taken up again. */
  session: { id: string; resume: boolean };
}

export interface TurnIO {
  /** Resolves with the agent's last message when its own "turn finished" signal arrives (a Stop hook). */
  stopped: Promise<string>;
  /** A tool call seen on screen (the hook did not answer it): the ladder decides. */
  permission(call: AgentToolCall): Promise<{ allow: boolean; reason: string }>;
  /** A permission request is being decided (the hook's or the screen's): its dialog must be left alone. */
  deciding(): boolean;
  /** A line for the timeline (a dialog answered, the prompt sent). */
  note(text: string): void;
}

export interface TurnResult {
  outcome: 'finished' | 'failed';
  /** The agent's last words (finished) or the error on screen (failed). */
  detail: string;
}

export interface AgentDriver {
  readonly name: string;
  /** Prepares the agent's own config (seeded: no set-up dialog) and says how to start it. */
  prepare(setup: DriverSetup): Promise<SpawnSpec>;
  /** From start-up to the end of one turn: answers set-up dialogs by their text, sends the prompt, waits. */
  runTurn(session: PtySession, prompt: string, io: TurnIO, signal: AbortSignal): Promise<TurnResult>;
  /** After the session: removes what the agent itself kept of it (its own logs hold unredacted tool output). */
  forget?(workspace: string): Promise<void>;
}

/** The agent ended the session in a way the driver cannot go on from (an unknown dialog, a login screen...). */
export class AgentDriverError extends Error {
  override name = 'AgentDriverError';
}
