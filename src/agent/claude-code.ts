/**
 * The Claude Code driver. Set-up needs no keystrokes: the medic owns the CLI's config dir
 * (CLAUDE_CONFIG_DIR) and seeds it (onboarding done, the API key approved, the workspace
 * trusted, hooks that route every permission request to the medic). A dialog that shows up
 * anyway is answered by the text of its options, never by position, or ends the session.
 * Facts: ../../shared/reference/claude-code-pty.md (2.1.197 pinned; 2.1.331 understood).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AgentDriverError, type AgentDriver, type DriverSetup, type SpawnSpec, type TurnIO, type TurnResult } from './driver.js';
import { agentCredential, CREDENTIAL_VARS } from './credentials.js';
import { keysFor, lastAgentText, verdict } from './claude-code/answers.js';
import type { PtySession } from './pty-session.js';
import type { Containment } from './sandbox.js';
import { classifyScreen, findApiError, inputText, parseDialog, parsePermission } from './screen.js';

export { keysFor } from './claude-code/answers.js';

export interface ClaudeCodeOptions {
  /** The CLI to run (AGENT_COMMAND, resolved to a path). */
  command: string;
  extraArgs: string[];
  /** The CLI's config dir, owned by the medic. */
  configDir: string;
  /** The medic's environment: only the variables the CLI needs are passed on. */
  env: NodeJS.ProcessEnv;
  /** Start-up to the ready prompt. Default 60 s. */
  startTimeoutMs?: number;
  /** The OS sandbox settings and the agent's shell (sandbox.ts); none: neither is set. */
  containment?: Containment;
}

/**
 * Passed on from the medic's environment when set, with the one credential of agentCredential().
 * Nothing else is (no Discord token, no medic API token).
 */
const PASSED_ENV = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR',
  'ANTHROPIC_BASE_URL', 'ANTHROPIC_MODEL', 'ANTHROPIC_SMALL_FAST_MODEL',
  'API_TIMEOUT_MS', 'CLAUDE_CODE_MAX_RETRIES', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX',
  'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'NODE_EXTRA_CA_CERTS',
];
/** OpenClaw's own variables (where its config and state live) go with it, except secrets. */
const PASSED_PREFIX = /^OPENCLAW_/;
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE/i;

/** Keeps the CLI from calling anything but the Messages API (measured: zero other requests). */
const OFFLINE_ENV = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN: '1',
  NO_UPDATE_NOTIFIER: '1',
  npm_config_update_notifier: 'false',
};

const POLL_MS = 100;
/** 2.1.331 drops a key sent the instant a dialog appears: answer a screen stable this long. */
const SETTLE_MS = 400;
/**
 * The CLI shows its dialog while the PermissionRequest hook runs and closes it when the hook
 * answers; only a dialog left with no hook request for this long is answered on screen.
 */
const HOOKLESS_MS = 3_000;
/** The ready prompt must show this long before the paste (2.1.331+ may draw a dialog just after it). */
const READY_SETTLE_MS = 500;
/** Between the keys that answer a dialog. */
const KEY_GAP_MS = 100;
/** Idle this long after the turn was busy: the turn is over. */
const IDLE_CONFIRM_MS = 1_000;
const END_OF_TURN = /^✻ \S+ for \d+/;

export class ClaudeCodeDriver implements AgentDriver {
  readonly name = 'claude-code';

  /** The sweep of sessions a killed medic left behind: once, before this medic's first session starts. */
  private leftovers: Promise<void> | undefined;

  constructor(private readonly o: ClaudeCodeOptions) {}

  async prepare(setup: DriverSetup): Promise<SpawnSpec> {
    const dir = this.o.configDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // A session being resumed keeps its records (the rest of a killed medic's leftovers go).
    await (this.leftovers ??= this.forgetLeftovers(dirname(setup.workspace), setup.session.resume ? setup.workspace : null));
    await this.seedGlobalConfig(join(dir, '.claude.json'), dirname(setup.workspace));
    const hook = (timeout: number) => [{ type: 'command', command: setup.hook.command, timeout }];
    const settings = {
      hooks: {
        // Every tool call is decided by the medic before Claude Code's own read-only list can run it unasked.
        PreToolUse: [{ matcher: '*', hooks: hook(Math.ceil(setup.approvalTimeoutMs / 1000) + 60) }],
        PermissionRequest: [{ matcher: '*', hooks: hook(Math.ceil(setup.approvalTimeoutMs / 1000) + 60) }],
        Stop: [{ hooks: hook(30) }],
        Notification: [{ hooks: hook(30) }],
      },
      ...this.o.containment?.settings(),
    };
    await writeFile(join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
    return {
      command: this.o.command,
      // Newer versions start in an auto mode that never asks: every action must come to the medic.
      // Its own session id, chosen by the medic (kept with the incident): a restarted medic resumes it by that id.
      args: ['--permission-mode', 'default', ...(setup.session.resume ? ['--resume', setup.session.id] : ['--session-id', setup.session.id]), ...this.o.extraArgs],
      env: this.env(setup),
      cwd: setup.workspace,
    };
  }

  /** Onboarding done, the API key approved (its last 20 characters), the workspaces' parent trusted. */
  private async seedGlobalConfig(file: string, trusted: string): Promise<void> {
    const current = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const key = agentCredential(this.o.env) === 'ANTHROPIC_API_KEY' ? this.o.env.ANTHROPIC_API_KEY : undefined;
    const responses = (current.customApiKeyResponses ?? { approved: [], rejected: [] }) as { approved: string[]; rejected: string[] };
    if (key) {
      const tail = key.slice(-20);
      responses.approved = [...new Set([...(responses.approved ?? []), tail])];
      responses.rejected = (responses.rejected ?? []).filter((k) => k !== tail);
    }
    const projects = (current.projects ?? {}) as Record<string, Record<string, unknown>>;
    projects[trusted] = { ...projects[trusted], hasTrustDialogAccepted: true };
    const seeded = { ...current, hasCompletedOnboarding: true, hasSeenAutoDefaultNudge: true, customApiKeyResponses: responses, projects };
    await writeFile(file, `${JSON.stringify(seeded, null, 2)}\n`, { mode: 0o600 });
  }

  private env(setup: DriverSetup): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.o.env)) {
      if (v === undefined || (CREDENTIAL_VARS as readonly string[]).includes(k)) continue;
      if (PASSED_ENV.includes(k) || (PASSED_PREFIX.test(k) && !SECRET_NAME.test(k))) out[k] = v;
    }
    const credential = agentCredential(this.o.env);
    if (credential) out[credential] = this.o.env[credential]!;
    return {
      ...out,
      ...this.o.containment?.env,
      CLAUDE_CODE_MAX_RETRIES: out.CLAUDE_CODE_MAX_RETRIES ?? '3',
      ...OFFLINE_ENV,
      TERM: 'xterm-256color',
      CLAUDE_CONFIG_DIR: this.o.configDir,
      CLAWMEDIC_HOOK_URL: setup.hook.url,
      CLAWMEDIC_HOOK_TOKEN: setup.hook.token,
    };
  }

  /**
   * The CLI keeps every session of a workspace in its config dir (projects/<slug>/<session>.jsonl: the
   * whole conversation with the tools' output, unredacted), plus per-session env files and a prompt
   * history. The medic keeps its own redacted transcript; these go when the session ends.
   */
  async forget(workspace: string): Promise<void> {
    const dir = this.o.configDir;
    const project = join(dir, 'projects', slug(workspace));
    const sessions = (await readdir(project).catch(() => [])).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -6));
    await rm(project, { recursive: true, force: true });
    for (const id of sessions) {
      for (const sub of ['session-env', 'file-history', 'todos', 'shell-snapshots']) await rm(join(dir, sub, id), { recursive: true, force: true });
    }
    const history = join(dir, 'history.jsonl');
    const lines = (await readFile(history, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const kept = lines.filter((line) => !sessions.some((id) => line.includes(id)) && !line.includes(JSON.stringify(workspace)));
    if (kept.length !== lines.length) await writeFile(history, kept.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  }

  /**
   * What a medic killed in the middle of a session kept: the records of every workspace under `workRoot`
   * (no other), except `keep`'s (the session about to be resumed).
   */
  private async forgetLeftovers(workRoot: string, keep: string | null): Promise<void> {
    const prefix = `${slug(workRoot)}-`;
    const kept = keep ? slug(keep) : null;
    const projects = await readdir(join(this.o.configDir, 'projects')).catch(() => []);
    for (const name of projects.filter((p) => p.startsWith(prefix) && p !== kept)) await this.forget(join(workRoot, name.slice(prefix.length)));
  }

  async runTurn(session: PtySession, prompt: string, io: TurnIO, signal: AbortSignal): Promise<TurnResult> {
    let lastWords: string | null = null;
    void io.stopped.then((m) => (lastWords = m));
    // The prompt quotes the gateway's output, which may hold an error text: only the agent's own lines count.
    const echoed = (line: string) => {
      const text = line.replace(/\u00a0/g, ' ').replace(/^❯/, '').trim();
      return text.length > 0 && prompt.includes(text);
    };
    // A dialog shown right after the ready prompt (2.1.331+'s auto-mode question) takes the paste: answer it, paste again.
    for (let attempt = 1; ; attempt += 1) {
      await this.untilReady(session, io, signal);
      if (await this.sendPrompt(session, prompt, io, signal)) break;
      if (attempt >= 3) throw new AgentDriverError('the prompt did not appear in the input box (a dialog kept taking it)');
    }
    let sawBusy = false;
    let idleSince: number | null = null;
    let dialogSince: number | null = null;
    for (;;) {
      if (lastWords !== null) return verdict(lastWords);
      if (!session.running) throw new AgentDriverError(`the agent exited in the middle of its turn (${await exitOf(session)})`);
      const screen = session.screen();
      const state = classifyScreen(screen);
      if (state !== 'permission') dialogSince = null;
      if (state !== 'idle') idleSince = null; // idle must last IDLE_CONFIRM_MS in one stretch
      if (state === 'busy') {
        sawBusy = true;
      } else if (state === 'permission') {
        sawBusy = true;
        if (io.deciding()) dialogSince = null;
        else if ((dialogSince ??= Date.now()) <= Date.now() - HOOKLESS_MS) {
          await this.answerPermission(session, io, signal);
          dialogSince = null;
        }
      } else if (state === 'dialog') {
        await this.answerDialog(session, io, signal);
      } else if (state === 'idle' && (sawBusy || screen.some((l) => END_OF_TURN.test(l.trim())))) {
        idleSince ??= Date.now();
        const error = findApiError(screen.filter((l) => !echoed(l)));
        if (error) return { outcome: 'failed', detail: error };
        if (Date.now() - idleSince >= IDLE_CONFIRM_MS) return verdict(lastAgentText(screen));
      }
      await pause(POLL_MS, signal);
    }
  }

  /** Start-up: the ready prompt, with any dialog that appears anyway answered by its text. */
  private async untilReady(session: PtySession, io: TurnIO, signal: AbortSignal): Promise<void> {
    const limit = this.o.startTimeoutMs ?? 60_000;
    const deadline = Date.now() + limit;
    for (;;) {
      if (!session.running) {
        const last = session.transcript().filter((l) => l.trim()).slice(-3).join(' / ');
        throw new AgentDriverError(`the agent exited during start-up (${await exitOf(session)})${last ? `: ${last}` : ''}`);
      }
      const state = classifyScreen(session.screen());
      // Ready when the prompt has shown for a moment: a dialog drawn just after it would take the paste.
      if (state === 'idle' && (await stable(session, (s) => classifyScreen(s) === 'idle', READY_SETTLE_MS, signal))) return;
      if (state === 'dialog') await this.answerDialog(session, io, signal);
      if (Date.now() > deadline) throw new AgentDriverError(`the agent showed no prompt within ${limit / 1000} s`);
      await pause(POLL_MS, signal);
    }
  }

  /**
   * The CLI takes text then Enter as a paste unless Enter is a separate write after the echo.
   * False when a dialog came up instead of the echo (the caller answers it and tries again).
   */
  private async sendPrompt(session: PtySession, prompt: string, io: TurnIO, signal: AbortSignal): Promise<boolean> {
    if (!inputText(session.screen())) session.write(`\x1b[200~${prompt}\x1b[201~`);
    const shown = (s: string[]) => Boolean(inputText(s)) || classifyScreen(s) === 'dialog';
    if (!(await session.waitFor(shown, 10_000, signal))) throw new AgentDriverError('the prompt did not appear in the input box');
    if (classifyScreen(session.screen()) === 'dialog') return false;
    await pause(150, signal);
    const started = (s: string[]) => ['busy', 'permission'].includes(classifyScreen(s)) || inputText(s) === '';
    for (let attempt = 0; attempt < 3; attempt += 1) {
      session.write('\r');
      if (await session.waitFor(started, 3_000, signal)) {
        io.note('recovery prompt sent');
        return true;
      }
    }
    throw new AgentDriverError('the agent did not take the prompt (Enter was not accepted)');
  }

  /** A permission dialog on screen means the hook gave no answer: ask the ladder, then Enter or Esc. */
  private async answerPermission(session: PtySession, io: TurnIO, signal: AbortSignal): Promise<void> {
    const call = parsePermission(session.screen());
    if (!call) return;
    const { allow } = await io.permission(call);
    session.write(allow ? '\r' : '\x1b');
    await session.waitFor((s) => classifyScreen(s) !== 'permission', 5_000, signal);
  }

  private async answerDialog(session: PtySession, io: TurnIO, signal: AbortSignal): Promise<void> {
    await pause(SETTLE_MS, signal);
    const dialog = parseDialog(session.screen());
    if (!dialog) return;
    const keys = keysFor(dialog);
    io.note(`answered Claude Code's "${dialog.title}" dialog by its text`);
    // One key at a time: a TUI may read a burst as a paste, or act on Enter before the selection moved.
    for (const key of keys.match(/\x1b\[[A-D]|[\s\S]/g) ?? []) {
      session.write(key);
      await pause(KEY_GAP_MS, signal);
    }
    await session.waitFor((s) => parseDialog(s)?.title !== dialog.title, 5_000, signal);
  }
}

/** Whether pred holds for `ms` in one stretch (re-checked on every poll); false as soon as it does not. */
async function stable(session: PtySession, pred: (screen: string[]) => boolean, ms: number, signal: AbortSignal): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await pause(Math.min(POLL_MS, Math.max(1, until - Date.now())), signal);
    if (!pred(session.screen())) return false;
  }
  return true;
}

/** The CLI's name for a workspace's folder under projects/ (every character but letters and digits as '-'). */
function slug(path: string): string {
  return path.replace(/[^a-zA-Z0-9]/g, '-');
}

/** "exit code 3", "signal 9" or "still running", waiting a moment for the exit to be reported. */
async function exitOf(session: PtySession): Promise<string> {
  const exit = await Promise.race([session.exited, delay(500, null)]);
  if (!exit) return 'still running';
  return exit.exitCode !== null ? `exit code ${exit.exitCode}` : `signal ${exit.signal ?? '?'}`;
}

/** Waits, or rejects at once when the session is ended (the runner reads why from the signal). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal });
}
