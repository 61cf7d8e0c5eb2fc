/**
 * The REAL ClaudeCodeDriver and AgentSessionRunner against a fake Claude Code TUI
 * (test/fixtures/agents/fake-claude.mjs) in a real PTY, for the edge cases the real CLI cannot be made
 * to produce on demand: the 2.1.331 trust dialog, an unknown dialog, a permission dialog with no hook,
 * an exit in the middle of a turn, an API error, a spinner that never stops, a paste that eats the
 * first Enter, a slow start. The fake logs every key it receives, so the keystrokes are asserted exactly.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { ClaudeCodeDriver } from '../../src/agent/claude-code.js';
import { descendants } from '../../src/lib/process-table.js';
import { PtySession } from '../../src/agent/pty-session.js';
import { parseDialog } from '../../src/agent/screen.js';
import { AgentSessionRunner } from '../../src/agent/session-runner.js';
import type { AgentReport, AgentRequest, AgentToolCall } from '../../src/recovery/ports.js';
import { TempDirs, captureLogger, isAlive } from '../fixtures/gateways.js';
import { agentRequest, runnerOptions } from '../fixtures/agent-runner.js';

const FAKE = resolve(fileURLToPath(new URL('../fixtures/agents/fake-claude.mjs', import.meta.url)));
const DOWN = '\x1b[B';
const ENTER = '\r';
const ESC = '\x1b';

const temps = new TempDirs();

beforeAll(() => {
  // The repository keeps the exec bit; a checkout or copy that lost it must not fail every test.
  chmodSync(FAKE, 0o755);
});

afterAll(async () => {
  await temps.removeAll();
  // Whatever happened in the tests, no fake agent outlives the file.
  const left = descendants(process.pid).filter((pid) => isAlive(pid) && cmdline(pid).includes(FAKE));
  if (left.length > 0) throw new Error(`fake-claude processes left running: ${left.join(', ')}`);
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}


interface World {
  runner: AgentSessionRunner;
  dir: string;
  /** The fake's log of keys and events; its path also marks the fake's processes (it is on their command line). */
  logFile: string;
  request: AgentRequest;
  asked: AgentToolCall[];
  output: string[];
  log: ReturnType<typeof captureLogger>;
}

interface WorldOptions {
  /** Extra arguments for the fake (after --scenario and --log). */
  args?: string[];
  idleTimeoutMs?: number;
  recentOutput?: string[];
}

async function world(scenario: string, o: WorldOptions = {}): Promise<World> {
  const dir = await temps.make('clawmedic-fake-claude-');
  const logFile = join(dir, 'fake-claude.log');
  const log = captureLogger();
  const driver = new ClaudeCodeDriver({
    command: FAKE,
    extraArgs: ['--scenario', scenario, '--log', logFile, ...(o.args ?? [])],
    configDir: join(dir, 'claude-config'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
  const runner = new AgentSessionRunner(runnerOptions(dir, driver, { log, idleTimeoutMs: o.idleTimeoutMs ?? 5_000 }));
  const request = agentRequest(o.recentOutput ? { recentOutput: o.recentOutput } : {});
  return { runner, dir, logFile, request, asked: [], output: [], log };
}

/** Runs the session, then checks that the fake agent (and anything it started) is gone. */
async function run(
  w: World,
  expect: ExpectStatic,
  decide: (call: AgentToolCall) => boolean = () => true,
): Promise<AgentReport & { ms: number }> {
  const started = Date.now();
  const report = await w.runner.run(
    w.request,
    {
      permission: async (call) => {
        w.asked.push(call);
        const allow = decide(call);
        return { allow, reason: allow ? 'approved by test' : 'denied by test', by: 'test' };
      },
      output: (lines) => w.output.push(...lines),
    },
    new AbortController().signal,
  );
  const ms = Date.now() - started;
  const pid = Number(/\bpid (\d+)/.exec(w.log.entries.map((e) => e.msg).join('\n'))?.[1]);
  expect(pid, 'the runner logs the agent pid').toBeGreaterThan(0);
  expect(isAlive(pid), `fake-claude pid ${pid} still alive`).toBe(false);
  expect(descendants(process.pid).filter((p) => isAlive(p) && cmdline(p).includes(w.logFile))).toEqual([]);
  return { ...report, ms };
}

type Entry =
  | { t: number; kind: 'key'; key: string }
  | { t: number; kind: 'paste'; text: string }
  | { t: number; kind: 'event'; event: string; [field: string]: unknown };

async function fakeLog(w: World): Promise<Entry[]> {
  const text = await readFile(w.logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Entry);
}

const keys = (entries: Entry[]) => entries.flatMap((e) => (e.kind === 'key' ? [e.key] : []));
type EventEntry = Extract<Entry, { kind: 'event' }>;
const eventsNamed = (entries: Entry[], name: string) =>
  entries.filter((e): e is EventEntry => e.kind === 'event' && e.event === name);
/** The entries after the first event `name`. */
function after(entries: Entry[], name: string): Entry[] {
  const i = entries.findIndex((e) => e.kind === 'event' && e.event === name);
  return i < 0 ? [] : entries.slice(i + 1);
}
/** Keys and pastes in order, pastes as 'paste'. */
const input = (entries: Entry[]) => entries.flatMap((e) => (e.kind === 'key' ? [e.key] : e.kind === 'paste' ? ['paste'] : []));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.concurrent('ClaudeCodeDriver against a fake Claude Code TUI', () => {
  it('2.1.331 trust dialog: answered by its text (Down, Enter on "Yes, I trust this folder") once settled; the turn finishes', async ({ expect }) => {
    const w = await world('trust-331');
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: done');
    const log = await fakeLog(w);
    expect(input(log)).toEqual([DOWN, ENTER, 'paste', ENTER]);
    expect(eventsNamed(log, 'dropped')).toEqual([]); // no key sent the instant the dialog appeared
    const shown = eventsNamed(log, 'dialog')[0]!;
    const firstKey = log.find((e) => e.kind === 'key')!;
    expect(firstKey.t - shown.t).toBeGreaterThanOrEqual(300);
    // The driver's `--permission-mode default` and `--session-id <uuid>` (its own id, to resume the session) come first; the fake ignores them.
    const argv = eventsNamed(log, 'start')[0]!.argv as string[];
    expect(argv).toEqual(['--permission-mode', 'default', '--session-id', argv[3], '--scenario', 'trust-331', '--log', w.logFile]);
    expect(argv[3]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(w.output).toContain(`[clawmedic] answered Claude Code's "Accessing workspace:" dialog by its text`);
    expect(report.ms).toBeLessThan(8_000);
  });

  it('the fake is faithful: Enter on the preselected "No, exit" ends the CLI with status 1', async ({ expect }) => {
    const dir = await temps.make('clawmedic-fake-claude-');
    const session = PtySession.start({
      command: FAKE,
      args: ['--scenario', 'trust-331', '--log', join(dir, 'log')],
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cols: 120,
      rows: 40,
    });
    try {
      // The whole dialog, not a screen drawn half-way.
      expect(await session.waitFor((s) => parseDialog(s)?.options.length === 2, 5_000)).toBe(true);
      expect(parseDialog(session.screen())?.options).toEqual([
        { text: 'No, exit', selected: true },
        { text: 'Yes, I trust this folder', selected: false },
      ]);
      await sleep(300);
      session.write(ENTER);
      expect(await session.exited).toEqual({ exitCode: 1, signal: null });
      expect(session.screen().join('\n')).toContain("Claude Code didn't start because this folder isn't trusted.");
    } finally {
      await session.stop();
    }
    expect(isAlive(session.pid)).toBe(false);
  });

  it('an unknown dialog is not answered: the session ends as an error naming it', async ({ expect }) => {
    const w = await world('unknown-dialog');
    const report = await run(w, expect);
    expect(report.outcome).toBe('error');
    expect(report.detail).toContain('Choose your destiny');
    const log = await fakeLog(w);
    expect(keys(log)).toEqual([]);
    expect(eventsNamed(log, 'sigterm')).toHaveLength(1); // stopped by the runner, not by a key
    expect(report.ms).toBeLessThan(5_000);
  });

  it("2.1.332's auto-mode nudge after the ready prompt: answered \"No, keep manual mode\" by its text, then the prompt", async ({ expect }) => {
    const w = await world('auto-mode-nudge');
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: manual mode kept');
    const log = await fakeLog(w);
    expect(eventsNamed(log, 'auto-mode-on')).toEqual([]);
    expect(keys(after(log, 'dialog'))[0]).toBe(DOWN); // moved off the preselected "Yes" first
    expect(input(after(log, 'dialog')).filter((k) => k !== 'paste')).toEqual([DOWN, ENTER, ENTER]);
    expect(eventsNamed(log, 'submit')).toHaveLength(1);
    expect(w.output).toContain(`[clawmedic] answered Claude Code's "Make auto mode your default permission mode?" dialog by its text`);
  });

  it('a new dialog whose preselected option turns approvals off: no key pressed, the session ends with its text', async ({ expect }) => {
    const w = await world('dangerous-dialog');
    const report = await run(w, expect);
    expect(report.outcome).toBe('error');
    expect(report.detail).toContain('pressed nothing');
    expect(report.detail).toContain('Let Claude approve its own actions from now on?');
    expect(report.detail).toContain('Yes, stop asking me');
    expect(report.detail).toContain('No, keep asking');
    const log = await fakeLog(w);
    expect(keys(log)).toEqual([]);
    expect(eventsNamed(log, 'approvals-off')).toEqual([]);
    expect(eventsNamed(log, 'submit')).toEqual([]);
    expect(eventsNamed(log, 'sigterm')).toHaveLength(1); // stopped by the runner
    expect(report.ms).toBeLessThan(8_000);
  });

  it('a permission dialog with no hook: asked once after the grace period, allowed -> Enter, the command runs', async ({ expect }) => {
    const w = await world('permission-no-hook');
    const report = await run(w, expect, () => true);
    expect(w.asked).toEqual([{ tool: 'Bash', command: 'rm -rf /tmp/x', description: 'Remove the temp dir' }]);
    const log = await fakeLog(w);
    expect(keys(after(log, 'permission'))).toEqual([ENTER]);
    const shown = eventsNamed(log, 'permission')[0]!;
    const answeredAt = after(log, 'permission').find((e) => e.kind === 'key')!.t;
    expect(answeredAt - shown.t).toBeGreaterThanOrEqual(2_900); // left to a hook for 3 s first
    expect(eventsNamed(log, 'ran')).toHaveLength(1);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('ran it');
    expect(report.ms).toBeLessThan(9_000);
  });

  it('a permission dialog with no hook: denied -> Esc, nothing runs, the turn ends idle', async ({ expect }) => {
    const w = await world('permission-no-hook');
    const report = await run(w, expect, () => false);
    expect(w.asked).toEqual([{ tool: 'Bash', command: 'rm -rf /tmp/x', description: 'Remove the temp dir' }]);
    const log = await fakeLog(w);
    expect(keys(after(log, 'permission'))).toEqual([ESC]);
    expect(eventsNamed(log, 'denied')).toHaveLength(1);
    expect(eventsNamed(log, 'ran')).toEqual([]);
    expect(report.outcome).toBe('finished');
    expect(report.detail).not.toContain('ran it');
    expect(w.output.join('\n')).toContain('Interrupted · What should Claude do instead?');
    expect(report.ms).toBeLessThan(9_000);
  });

  it('the agent exiting in the middle of its turn ends the session as an error at once, not at a cap', async ({ expect }) => {
    const w = await world('exit-mid-turn');
    const report = await run(w, expect);
    expect(report.outcome).toBe('error');
    expect(report.detail).toMatch(/exited in the middle of its turn/);
    expect(eventsNamed(await fakeLog(w), 'exit')).toMatchObject([{ code: 3 }]);
    expect(report.ms).toBeLessThan(4_000); // the idle cap is 5 s, the hard cap 20 s
  });

  it('an API error on screen ends the session as failed, with the error as detail', async ({ expect }) => {
    const w = await world('api-error');
    const report = await run(w, expect);
    expect(report.outcome).toBe('failed');
    expect(report.detail.startsWith('API Error: 529')).toBe(true);
    expect(report.ms).toBeLessThan(5_000);
  });

  it('a spinner that never stops: the idle cap ends it, although the screen keeps changing', async ({ expect }) => {
    // 3 s: the driver lets the ready prompt settle 0.5 s before the paste, and that counts toward the idle cap.
    const w = await world('spinner-forever', { idleTimeoutMs: 3_000 });
    const report = await run(w, expect);
    expect(report.outcome).toBe('idle');
    expect(report.detail).toBe('nothing new on screen for 3 s');
    const spinner = eventsNamed(await fakeLog(w), 'spinner').map((e) => String(e.line));
    expect(new Set(spinner).size).toBeGreaterThanOrEqual(4); // the screen did change, several times
    expect(spinner.some((line) => /^\S Canoodling… \(\ds · ↑ \d+ tokens\)$/.test(line))).toBe(true);
    expect(w.output.join('\n')).not.toContain('Canoodling');
    expect(report.ms).toBeLessThan(7_000);
  });

  it('paste detection (an Enter within 100 ms of the paste is a newline): the driver waits, one Enter submits', async ({ expect }) => {
    const w = await world('paste-as-newline');
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: submitted');
    const log = await fakeLog(w);
    expect(input(log)).toEqual(['paste', ENTER]);
    expect(eventsNamed(log, 'newline')).toEqual([]);
    const paste = log.find((e) => e.kind === 'paste')!;
    const enter = log.find((e) => e.kind === 'key')!;
    expect(enter.t - paste.t).toBeGreaterThanOrEqual(150);
  });

  it('an Enter taken as a newline anyway: the driver sees the prompt still in the box and presses Enter again', async ({ expect }) => {
    const w = await world('paste-as-newline', { args: ['--paste-window', '60000'] });
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: submitted');
    const log = await fakeLog(w);
    expect(input(log)).toEqual(['paste', ENTER, ENTER]);
    expect(eventsNamed(log, 'newline')).toHaveLength(1);
    expect(eventsNamed(log, 'submit')).toHaveLength(1);
    expect(report.ms).toBeLessThan(9_000);
  });

  it('a slow start (nothing on screen for 1.5 s) is waited for', async ({ expect }) => {
    const w = await world('slow-start');
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: slow but fine');
    const log = await fakeLog(w);
    expect(eventsNamed(log, 'ready')[0]!.t - eventsNamed(log, 'start')[0]!.t).toBeGreaterThanOrEqual(1_500);
    expect(input(log)).toEqual(['paste', ENTER]);
  });

  // KNOWN DRIVER BUG: runTurn searches the whole screen for API errors, the echoed prompt included, so gateway
  // output quoted in the prompt that starts with "Unable to connect", "API Error" or "Request timed out" fails a turn
  // that went fine (on the real CLI the Stop hook usually wins the race and hides it; the fallback path has no such luck).
  // This pins today's behaviour; once fixed, expect outcome 'finished' and detail 'RECOVERY SUMMARY: all good'.
  it('gateway output quoted in the prompt (an error text among it) is not taken for an API error', async ({ expect }) => {
    const w = await world('ok', { recentOutput: ['[gateway] starting', 'Unable to connect to the database at db:5432'] });
    const report = await run(w, expect);
    expect(eventsNamed(await fakeLog(w), 'said')).toMatchObject([{ text: 'RECOVERY SUMMARY: all good' }]);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: all good');
  });

  it("2.1.197's paste hint hides 'esc to interrupt' for ~7 s: a turn running under it is waited for", async ({ expect }) => {
    const w = await world('paste-hint');
    const report = await run(w, expect);
    expect(report.outcome).toBe('finished');
    expect(report.detail).toBe('RECOVERY SUMMARY: waited out the hint');
    expect(input(await fakeLog(w))).toEqual(['paste', ENTER]);
  });
});
