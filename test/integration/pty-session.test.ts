/**
 * PtySession against real PTYs and small fake agents (test/fixtures/agents/*.mjs).
 * Every pid a test spawns must be gone when it ends: afterEach stops the sessions and checks with kill(pid, 0).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentStartError, PtySession, type PtySessionOptions } from '../../src/agent/pty-session.js';
import { treeRss } from '../../src/agent/process-tree.js';
import { descendants } from '../../src/lib/process-table.js';

const AGENTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'agents');
const ENV = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, LANG: 'C.UTF-8' };

const sessions: PtySession[] = [];
const pids = new Set<number>();

function start(agent: string, args: string[] = [], extra: Partial<PtySessionOptions> = {}): PtySession {
  const s = PtySession.start({ command: 'node', args: [join(AGENTS, agent), ...args], cwd: AGENTS, env: ENV, ...extra });
  sessions.push(s);
  pids.add(s.pid);
  return s;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pids still present after `ms`: a killed orphan stays a zombie until init reaps it (up to ~2 s in this VM). */
async function survivors(list: Iterable<number>, ms = 3000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = [...list].filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(25);
    left = left.filter(alive);
  }
  return left;
}

/** "<label> <pid>" printed by a fixture. */
function pidOn(screen: string[], label: string): number {
  const line = screen.find((l) => l.startsWith(`${label} `));
  if (!line) throw new Error(`no "${label}" line on screen:\n${screen.join('\n')}`);
  return Number(line.slice(label.length + 1));
}

const has = (text: string) => (screen: string[]) => screen.some((l) => l.includes(text));

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
  const left = await survivors(pids);
  pids.clear();
  expect(left, 'pids still alive after the test').toEqual([]);
});

describe('PtySession', () => {
  it('renders output on the screen, 40 right-trimmed rows, and reads the OSC 0 title', async () => {
    const s = start('echo.mjs');
    expect(await s.waitFor(has('FAKE AGENT v1'), 5000)).toBe(true);
    const screen = s.screen();
    expect(screen).toHaveLength(40);
    expect(screen[0]).toBe('FAKE AGENT v1');
    expect(screen.every((l) => l === l.trimEnd())).toBe(true);
    expect(s.title).toBe('fake agent ready');
    expect(s.running).toBe(true);
  });

  it('answers terminal queries (DSR cursor position, DA) through the PTY', async () => {
    const s = start('query.mjs');
    const exit = await s.exited;
    expect(s.screen()).toContain('DSR answered: row 2 col 1');
    expect(s.screen().some((l) => l.startsWith('DA answered: '))).toBe(true);
    expect(exit).toEqual({ exitCode: 0, signal: null });
  });

  it('round-trips input: write, tty echo, program echo; OSC 2 updates the title', async () => {
    const s = start('echo.mjs');
    expect(await s.waitFor(has('FAKE AGENT'), 5000)).toBe(true);
    s.write('hello pty\r');
    expect(await s.waitFor((l) => l.includes('echo: hello pty'), 5000)).toBe(true);
    expect(s.screen()).toContain('> hello pty'); // the line discipline echoed the typed text
    s.write('title Working on it\r');
    expect(await s.waitFor(has('echo: title Working on it'), 5000)).toBe(true);
    expect(s.title).toBe('Working on it');
  });

  it('waitFor: true when the predicate already holds, false on timeout and on abort', async () => {
    const s = start('echo.mjs');
    expect(await s.waitFor(has('FAKE AGENT'), 5000)).toBe(true);
    expect(await s.waitFor(has('FAKE AGENT'), 0)).toBe(true);

    let t0 = Date.now();
    expect(await s.waitFor(has('never shown'), 300)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    t0 = Date.now();
    expect(await s.waitFor(has('never shown'), 5000, ac.signal)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await s.waitFor(has('FAKE'), 5000, ac.signal)).toBe(true); // checked before the abort
    expect(await s.waitFor(has('never shown'), 5000, ac.signal)).toBe(false); // already aborted
  });

  it('transcript keeps lines scrolled off the screen; onChange is coalesced to one call per 50 ms', async () => {
    const s = start('flood.mjs', ['500']);
    const calls: number[] = [];
    const unsubscribe = s.onChange(() => calls.push(Date.now()));
    await s.exited;
    unsubscribe();

    expect(s.screen()).toContain('FLOOD DONE');
    expect(s.screen()).not.toContain('line 0001');
    const transcript = s.transcript();
    const numbered = transcript.filter((l) => l.startsWith('line '));
    expect(numbered).toHaveLength(500);
    expect(numbered[0]).toBe('line 0001');
    expect(numbered[499]).toBe('line 0500');
    expect(transcript.at(-1)).toBe('FLOOD DONE'); // trailing empty rows dropped

    expect(calls.length).toBeGreaterThan(0);
    for (let i = 1; i < calls.length; i++) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(45);
  });

  it('scrollback is bounded by the option', async () => {
    // It lingers 1 s after its write: what is tested is the bound, not output lost to the PTY's hang-up at exit.
    const s = start('flood.mjs', ['500', '1000'], { scrollback: 100, rows: 20, cols: 80 });
    await s.exited;
    expect(s.screen()).toHaveLength(20);
    const transcript = s.transcript();
    expect(transcript.length).toBeLessThanOrEqual(120);
    expect(transcript).not.toContain('line 0001');
    expect(transcript.at(-1)).toBe('FLOOD DONE');
  });

  it('stop() kills a SIGTERM-ignoring leader and its detached grandchild within grace + 1 s', async () => {
    const grace = 1000;
    const s = start('stubborn.mjs', [], { killGraceMs: grace });
    expect(await s.waitFor(has('READY'), 5000)).toBe(true);
    const leader = pidOn(s.screen(), 'leader');
    const grandchild = pidOn(s.screen(), 'grandchild');
    pids.add(grandchild);
    expect(leader).toBe(s.pid);
    // The grandchild really left: its own process group and session.
    const stat = readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(stat[2])).toBe(grandchild); // pgrp
    expect(Number(stat[2])).not.toBe(s.pid);
    expect(descendants(s.pid)).toContain(grandchild);

    const rss = s.rssBytes();
    expect(rss).toBeGreaterThan(treeRss(grandchild)!); // the tree, not just the leader

    const t0 = Date.now();
    await s.stop();
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(grace - 50);
    expect(took).toBeLessThan(grace + 1000);

    expect(s.running).toBe(false);
    expect(await s.exited).toEqual({ exitCode: null, signal: 9 });
    expect(await survivors([leader, grandchild])).toEqual([]);
    expect(s.screen()).toContain('READY'); // kept after the terminal was disposed
    expect(s.transcript()).toContain('leader ignores SIGTERM');
    expect(s.rssBytes()).toBeNull();
  });

  it('stop() is idempotent and quick for a program that obeys SIGTERM; write() after exit is a no-op', async () => {
    const s = start('echo.mjs', [], { killGraceMs: 5000 });
    expect(await s.waitFor(has('FAKE AGENT'), 5000)).toBe(true);
    const t0 = Date.now();
    const a = s.stop();
    const b = s.stop();
    expect(b).toBe(a);
    await Promise.all([a, b]);
    expect(Date.now() - t0).toBeLessThan(1000);
    await s.stop();
    expect(s.running).toBe(false);
    expect((await s.exited).signal).toBe(15);
    expect(() => s.write('ignored\r')).not.toThrow();
    expect(s.screen()[0]).toBe('FAKE AGENT v1');
  });

  it('exited resolves with the exit code of a program that ends on its own, output rendered', async () => {
    const s = start('quit.mjs', ['7']);
    expect(await s.exited).toEqual({ exitCode: 7, signal: null });
    expect(s.screen()[0]).toBe('finishing on my own');
    expect(s.running).toBe(false);
    expect(s.rssBytes()).toBeNull();

    const e = start('echo.mjs');
    expect(await e.waitFor(has('FAKE AGENT'), 5000)).toBe(true);
    e.write('exit 3\r');
    expect(await e.exited).toEqual({ exitCode: 3, signal: null });
    expect(e.screen()).toContain('bye');
  });

  it('stop() kills a child that outlived its leader', async () => {
    const s = start('orphan.mjs', [], { killGraceMs: 500 });
    expect(await s.waitFor(has('READY'), 5000)).toBe(true);
    const child = pidOn(s.screen(), 'child');
    pids.add(child);
    expect(await s.exited).toEqual({ exitCode: 0, signal: null });
    expect(alive(child)).toBe(true); // reparented, ignoring SIGHUP
    await s.stop();
    expect(await survivors([child])).toEqual([]);
  });

  it('start() of a missing command throws AgentStartError naming it and the PATH searched', () => {
    const attempt = (o: Partial<PtySessionOptions>) => () =>
      PtySession.start({ command: 'no-such-agent-xyz', args: [], cwd: AGENTS, env: { PATH: '/nowhere:/usr/bin' }, ...o });
    expect(attempt({})).toThrow(AgentStartError);
    expect(attempt({})).toThrow(/no-such-agent-xyz.*PATH=\/nowhere:\/usr\/bin/);
    expect(attempt({ command: './missing.sh' })).toThrow(AgentStartError);
    expect(attempt({ command: join(AGENTS, 'echo.mjs') })).toThrow(/not an executable file/); // no x bit
    expect(attempt({ command: 'node', cwd: '/no/such/dir' })).toThrow(/working directory/);
    // The child's PATH is what counts, not the test runner's.
    expect(attempt({ command: 'node', env: { PATH: '/nowhere' } })).toThrow(AgentStartError);
  });

  it('rssBytes is the positive resident size of the tree while running', async () => {
    const s = start('echo.mjs');
    expect(await s.waitFor(has('FAKE AGENT'), 5000)).toBe(true);
    const rss = s.rssBytes();
    expect(rss).not.toBeNull();
    expect(rss!).toBeGreaterThan(1024 * 1024);
    await s.stop();
    expect(s.rssBytes()).toBeNull();
  });
});
