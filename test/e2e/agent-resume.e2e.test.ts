/**
 * Level 3 across a medic killed with -9 (issue 13, item 4): the real `clawmedic run` as a child
 * process, the real Claude Code CLI (every version of the run) in a PTY against the local scripted
 * Messages API, a gateway whose config lost gateway.mode (levels 0-2 cannot fix it). The medic is
 * killed by pid while the agent's question is open; a new medic on the same data dir resumes the
 * agent's session by its id: the model sees the earlier conversation, the question is asked again
 * and answered through the local API, the repair completes, and the agent's records go when the
 * incident closes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic, type FakeAnthropicOptions, type LoggedRequest } from '../fixtures/fake-anthropic.js';
import { agentMedicEnv, breakConfig } from '../fixtures/agent-world.js';
import { claudeClis, cliBin } from '../fixtures/claude-cli.js';
import { isAlive, waitFor } from '../fixtures/gateways.js';
import { E2eWorld } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/clawmedic.js', import.meta.url));
const API_KEY = 'sk-test-resume-not-a-real-key-0077';
const API_TOKEN = 'test-api-token-resume-0123456789';
/** The first words of the resume prompt (src/agent/prompt.ts buildResumePrompt). */
const RESUMED = 'restarted while you were working on incident';

const world = new E2eWorld();
let model: FakeAnthropic | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
  await world.cleanup();
});
beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../dist/cli.js', import.meta.url)))) {
    throw new Error('dist/ is missing: the build in test/global-setup.ts failed (see its output above)');
  }
});

function startMedic(env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [BIN, 'run'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  world.janitor.track(child.pid);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

async function api(port: number, path: string, body?: unknown): Promise<any> {
  const init: RequestInit = body === undefined
    ? {}
    : { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify(body) };
  const res = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const json = (await res.json()) as any;
  for (const t of json?.targets ?? []) if (t.pid) world.janitor.track(t.pid);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Live processes whose working directory is below `dir` (the agent CLI works in its workspace there). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(dir) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

/** Every .jsonl the CLI keeps under projects/ (its own record of the sessions), concatenated. */
function sessionRecord(projects: string): string {
  if (!existsSync(projects)) return '';
  return readdirSync(projects, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => readFileSync(join(projects, f), 'utf8'))
    .join('\n');
}

/** The text of every message of a Messages API request, in order. */
function conversation(r: LoggedRequest): string {
  return JSON.stringify(r.body.messages ?? []);
}

describe.each(claudeClis())('level 3 with Claude Code $version ($which): the session survives a medic killed with -9', (cli) => {
  it('kill -9 with the question open: the next medic resumes the session by id, the question is asked again, approved, repaired, resolved', async () => {
    const setup = await world.envFor({ mode: 'ok' });
    const { repair } = await breakConfig(setup);
    // The model asks for the repair; told the medic restarted, it asks again; a denial (the hook of a dead medic) gets no reply.
    const script: NonNullable<FakeAnthropicOptions['script']> = ({ lastUserText, lastToolResult }) => {
      const tool = { kind: 'tool' as const, command: repair, description: 'Restore the gateway config', text: 'I will restore the config.' };
      if (lastUserText.includes(RESUMED)) return tool;
      if (lastToolResult === null) return tool;
      if (lastToolResult.isError) return { kind: 'hang' };
      return { kind: 'text', text: 'RECOVERY SUMMARY: restored the config from openclaw.good.json' };
    };
    model = await startFakeAnthropic({ script });
    const env = { ...agentMedicEnv(setup.env, model, API_KEY, cliBin(cli)), MEDIC_API_TOKEN: API_TOKEN };
    const medicDir = String(setup.env.MEDIC_DATA_DIR);
    const workRoot = join(medicDir, 'agent', 'work');
    const projects = join(medicDir, 'agent', 'claude-config', 'projects');

    const first = startMedic(env);
    const asked = await waitFor(
      async () => {
        const t = (await api(setup.apiPort, '/status').catch(() => null))?.targets?.[0];
        return t?.incident?.approval?.kind === 'agent-tool' ? t.incident : null;
      },
      { timeoutMs: 90_000, what: `the agent's question (first medic)\n${first.output()}` },
    );
    expect(asked).toMatchObject({ id: 'gw-1', level: 3, approval: { id: 'gw-1-t1', command: repair } });
    // Its CLI session id is with the incident before the question is.
    const before = (await api(setup.apiPort, '/incidents/gw-1')).incident ?? (await api(setup.apiPort, '/incidents/gw-1'));
    const sessionId: string = before.agent?.session;
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(model.turns()[0]!.headers['x-claude-code-session-id']).toBe(sessionId);
    const turnsBefore = model.turns().length;
    // People take a while to answer: by the time the medic dies, the CLI has written its record (2.1.197 writes it lazily).
    await waitFor(() => sessionRecord(projects).includes('You are the emergency recovery step') && sessionRecord(projects).includes('"tool_use"'), {
      what: "the CLI's record of the session",
      timeoutMs: 15_000,
    });

    first.kill('SIGKILL');
    await waitFor(() => !isAlive(first.pid!), { what: 'the first medic to die' });
    // The agent dies with its medic (the PTY hangs up): nothing of it keeps working on the config.
    await waitFor(() => processesIn(workRoot).length === 0, { what: 'the agent processes of the killed medic to end', timeoutMs: 20_000 });
    expect(readFileSync(setup.configPath, 'utf8')).not.toContain('"mode"');
    expect(existsSync(projects) && readdirSync(projects).length).toBeGreaterThan(0); // its records are still there

    const second = startMedic(env);
    const again = await waitFor(
      async () => {
        const t = (await api(setup.apiPort, '/status').catch(() => null))?.targets?.[0];
        return t?.incident?.approval?.kind === 'agent-tool' ? t.incident : null;
      },
      { timeoutMs: 90_000, what: `the question asked again by the resumed agent\n${second.output()}` },
    );
    expect(again).toMatchObject({ id: 'gw-1', level: 3, approval: { id: 'gw-1-t2', command: repair } });

    // The resumed conversation: the same session id, the first prompt and the earlier tool call, then the resume prompt.
    const resumed = model.turns().slice(turnsBefore).find((r) => conversation(r).includes(RESUMED));
    expect(resumed, 'a request carrying the resume prompt').toBeDefined();
    expect(resumed!.headers['x-claude-code-session-id']).toBe(sessionId);
    const text = conversation(resumed!);
    expect(text).toContain('You are the emergency recovery step of clawmedic');
    // The model's earlier turn (2.1.197 drops the tool call that never got a result, 2.1.332 keeps it).
    expect(text).toContain('I will restore the config.');
    expect(text.indexOf('You are the emergency recovery step')).toBeLessThan(text.indexOf('I will restore the config.'));
    expect(text.indexOf('I will restore the config.')).toBeLessThan(text.indexOf(RESUMED));

    await api(setup.apiPort, '/approve', { target: 'gw', approval: 'gw-1-t2', approved: true, by: 'alice' });
    const done = await waitFor(
      async () => {
        const list = (await api(setup.apiPort, '/incidents')).incidents as any[];
        return list.find((i) => i.id === 'gw-1' && i.state === 'resolved');
      },
      { timeoutMs: 60_000, what: `the incident resolved\n${second.output()}` },
    );
    expect(done).toMatchObject({ maxLevel: 3, outcome: 'fixed by the AI agent', agent: { runs: 2, session: sessionId } });
    expect(done.agent.result).toMatch(/^finished: RECOVERY SUMMARY: restored the config/);
    expect(JSON.parse(readFileSync(setup.configPath, 'utf8'))).toMatchObject({ gateway: { mode: 'local' } });

    const one = await api(setup.apiPort, '/incidents/gw-1');
    const lines: string[] = (one.timeline ?? one.incident?.timeline).map((r: any) => r.text);
    expect(lines).toContain('question gw-1-t1 is withdrawn: the resumed agent asks it again');
    expect(lines).toContain('medic restarted mid-session: the AI agent session is resumed with its history');
    expect(lines).toContain(`resuming the AI agent's session ${sessionId}`);
    expect(lines.some((l) => /^api:alice approved: agent Bash cp /.test(l))).toBe(true);

    // Closed: the agent's own records of the session (unredacted tool output) are gone; no agent process is left.
    await waitFor(() => !existsSync(projects) || readdirSync(projects).length === 0, { what: "the agent's session records removed" });
    await waitFor(() => processesIn(workRoot).length === 0, { what: 'no agent process left' });
    second.kill('SIGTERM');
    await new Promise((ok) => (second.exitCode !== null ? ok(null) : second.once('exit', ok)));
  });
});
