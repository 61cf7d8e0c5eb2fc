/**
 * Level 3 (the AI agent) timed end to end, in the world of test/e2e/agent.e2e.test.ts: the real
 * medic (`runMedic`, real adapters), the real discord.js client against the local fake Discord,
 * the real Claude Code CLI (`--claude` one or more of pinned|newest|latest|<version>, comma-separated,
 * default `pinned,newest`: each version's rounds, then the two side by side; installed by
 * scripts/install-claude-code.mjs) in a PTY against the local
 * scripted Messages API, and the demo gateway whose config lost gateway.mode, so levels 0-2 fail
 * and level 3 starts. Each round starts a fresh world, clicks Approve on the agent's question,
 * waits for the incident to be resolved, stops everything it started and checks that no process
 * of it survives.
 *
 * Measured per round (wall clock, Date.now(), the same clock as the medic's records and the
 * fakes' request logs):
 * - escalation (the `level 3:` record) -> agent started (`starting the AI agent`), -> prompt sent
 *   (first main-loop request at the fake Messages API), -> first action on screen (first
 *   `agent-output` line starting with ●), -> approval request posted (the fake Discord's answer to
 *   the POST of the `🤖 **The AI agent asks` message);
 * - the operator's click (just before `fake.button()`) -> the decision inside the agent (the next
 *   main-loop request carrying the tool_result) and -> resolved (the `resolved` record);
 * - the agent's process tree RSS (every 200 ms, and at the question), the medic's process RSS;
 * - fault (medic start with the broken config) -> resolved.
 *
 *   npm run bench:agent -- --rounds 5 [--claude pinned,newest]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { descendantsIn, snapshot, type ProcStat } from '../src/lib/process-table.js';
import { runMedic, type RunningMedic } from '../src/main.js';
import type { Logger } from '../src/recovery/ports.js';
import type { LadderRecord } from '../src/recovery/types.js';
import { E2eWorld } from '../test/e2e/harness.js';
import { hasTools, lastUserInfo, repairScript, startFakeAnthropic, type FakeAnthropic } from '../test/fixtures/fake-anthropic.js';
import { discordEnvFor, FAST_BOT_OPTIONS, FakeDiscord, type StoredMessage } from '../test/fixtures/fake-discord/index.js';
import { agentMedicEnv, breakConfig } from '../test/fixtures/agent-world.js';
import { installClaudeCode, type ClaudeCli } from '../test/fixtures/claude-install.js';
import { isAlive, waitFor } from '../test/fixtures/gateways.js';

const API_KEY = 'sk-test-bench-not-a-real-key-0042';
const SAMPLE_MS = 200;
const QUESTION = '🤖 **The AI agent asks';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    claude: { type: 'string', default: 'pinned,newest' },
    verbose: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});
const CLIS: ClaudeCli[] = values.claude.split(',').map((w) => w.trim()).filter(Boolean).map((w) => installClaudeCode(w));
for (const c of CLIS) if (c.error) throw new Error(`Claude Code ${c.which} is not installed: ${c.error}`);
/** The version of the rounds being run. */
let CLI: ClaudeCli = CLIS[0]!;
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer, got '${values.rounds}'`);

/** Times in ms (Date.now()), sizes in bytes. */
interface Round {
  fault: number;
  escalation: number;
  agentStarted: number;
  ptySpawned: number | null;
  promptSent: number;
  firstAction: number;
  firstActionLine: string;
  approvalAsked: number;
  approvalPosted: number;
  click: number;
  /** The ladder's `… approved: agent …` record. */
  approved: number;
  decision: number;
  sessionEnded: number;
  resolved: number;
  outcome: string;
  claudePeakRss: number;
  claudeRssAtQuestion: number;
  treePeakRss: number;
  treeRssAtQuestion: number;
  treePeakPss: number;
  treePssAtQuestion: number;
  mainPeakRss: number;
  mainRssAtQuestion: number;
  claudePeakProcs: number;
  treeProcsAtQuestion: string[];
  medicRssBefore: number;
  medicPeakRss: number;
  /** Every request the fake Messages API saw: ms after the escalation, what it was. */
  apiRequests: string[];
}

interface Sample {
  at: number;
  /** VmRSS summed over the processes whose cmdline contains 'claude' (a fork not yet exec'd counts its parent's pages again). */
  claudeRss: number;
  /** VmRSS summed over the agent's tree: those processes and everything below them (hooks, shells). */
  treeRss: number;
  /** Pss summed over the agent's tree (shared pages split between their sharers: no double count). */
  treePss: number;
  /** VmRSS of the agent's main process (the PTY's child, the root of the tree). */
  mainRss: number;
  /** How many processes have 'claude' in their cmdline right now. */
  claudeProcs: number;
  treeProcs: string[];
  medicRss: number;
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return null;
  }
}

function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size of one process in bytes (smaps_rollup); 0 when gone. */
function pssOf(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function shortName(cmd: string): string {
  if (cmd === '') return '(exited, no cmdline)';
  const [exe, ...rest] = cmd.split(' ');
  const base = exe!.split('/').at(-1)!;
  const script = rest.find((a) => a.includes('/'))?.split('/').at(-1);
  return script && base === 'node' ? `node ${script}` : base;
}

/**
 * Watches every process below this one: remembers each (pid, start time, command line) it sees, so
 * the round can check they are all gone afterwards, and measures the agent's tree.
 */
class ProcessWatch {
  /** pid -> what it was; processes that were here before the round are not the round's. */
  readonly seen = new Map<number, { startTime: number; cmd: string }>();
  private readonly before: Set<string>;

  constructor() {
    const procs = snapshot();
    this.before = new Set(descendantsIn(procs, [process.pid]).map((pid) => `${pid}:${procs.get(pid)!.startTime}`));
  }

  sample(): Sample {
    const procs = snapshot();
    const below = descendantsIn(procs, [process.pid]);
    const claude: number[] = [];
    for (const pid of below) {
      const stat = procs.get(pid)!;
      if (this.before.has(`${pid}:${stat.startTime}`)) continue;
      const cmd = cmdline(pid);
      if (cmd === null) continue;
      const known = this.seen.get(pid);
      if (!known || known.startTime !== stat.startTime || known.cmd === '') this.seen.set(pid, { startTime: stat.startTime, cmd });
      if (cmd.includes('claude') && stat.state !== 'Z') claude.push(pid);
    }
    const roots = claude.filter((pid) => !claude.includes(procs.get(pid)!.ppid));
    const tree = [...roots, ...descendantsIn(procs, roots)].filter((pid) => procs.get(pid)?.state !== 'Z');
    const sum = (pids: number[], of: (pid: number) => number) => pids.reduce((n, pid) => n + of(pid), 0);
    if (values.verbose && claude.length > 1) {
      const who = claude.map((pid) => `${pid} (ppid ${procs.get(pid)!.ppid}, RSS ${mib(rssOf(pid))}, PSS ${mib(pssOf(pid))}): ${cmdline(pid)?.slice(0, 60)}`);
      console.log(`  ${claude.length} 'claude' processes at once: ${who.join(' | ')}`);
    }
    return {
      at: Date.now(),
      claudeRss: sum(claude, rssOf),
      treeRss: sum(tree, rssOf),
      treePss: sum(tree, pssOf),
      mainRss: sum(roots, rssOf),
      claudeProcs: claude.length,
      treeProcs: tree.map((pid) => shortName(cmdline(pid) ?? '?')),
      medicRss: process.memoryUsage().rss,
    };
  }

  /** Processes of the round still running (same pid AND start time: a reused pid is someone else). */
  survivors(): { pid: number; cmd: string }[] {
    const out: { pid: number; cmd: string }[] = [];
    const procs = snapshot();
    for (const [pid, p] of this.seen) {
      const stat: ProcStat | undefined = procs.get(pid);
      if (stat && stat.startTime === p.startTime && isAlive(pid)) out.push({ pid, cmd: p.cmd });
    }
    return out;
  }
}

/** The medic's log with times, kept for a failing round's story. */
function timedLogger(): Logger & { entries: { at: number; level: string; msg: string }[] } {
  const entries: { at: number; level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void entries.push({ at: Date.now(), level, msg });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function buttons(m: StoredMessage): { custom_id: string; label: string }[] {
  return (m.components![0] as { components: { custom_id: string; label: string }[] }).components;
}

const isMainTurn = (r: FakeAnthropic['requests'][number]) => r.method === 'POST' && r.path === '/v1/messages' && hasTools(r.body);

async function runRound(n: number): Promise<Round> {
  const world = new E2eWorld();
  const watch = new ProcessWatch();
  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    const t = performance.now();
    samples.push(watch.sample());
    sampleCostMs.push(performance.now() - t);
  }, SAMPLE_MS);
  let fake: FakeDiscord | undefined;
  let model: FakeAnthropic | undefined;
  let running: RunningMedic | undefined;
  let dataDir: string | null = null;
  const log = timedLogger();
  try {
    fake = await FakeDiscord.start();
    const setup = await world.envFor(
      { mode: 'ok' },
      discordEnvFor(fake),
    );
    dataDir = setup.dataDir;
    const { repair } = await breakConfig(setup);
    model = await startFakeAnthropic({ script: repairScript(repair, 'Restore the gateway config') });
    const env = agentMedicEnv(setup.env, model, API_KEY, CLI.bin);

    const fault = Date.now();
    running = await runMedic({
      env,
      log,
      bot: FAST_BOT_OPTIONS,
    });
    const r = running;
    const f = fake;
    const m = model;
    const gatewayPids = setInterval(() => {
      const pid = r.medic.status().targets[0]?.pid;
      if (pid != null) world.janitor.track(pid);
    }, 50);
    let firstAction: { at: number; line: string } | null = null;
    let approvalAsked: number | null = null;
    let sessionEnded: number | null = null;
    let outcome = '';
    r.events.on('agent-output', (e) => {
      const line = e.lines.find((l) => l.startsWith('●'));
      if (line !== undefined) firstAction ??= { at: Date.now(), line };
    });
    r.events.on('approval', () => void (approvalAsked ??= Date.now()));
    r.events.on('agent-ended', (e) => {
      sessionEnded ??= Date.now();
      outcome = `${e.outcome}: ${e.detail}`;
    });

    try {
      const posted = await f.waitForRequest(
        (q) => q.method === 'POST' && typeof (q.body as { content?: unknown } | undefined)?.content === 'string' && (q.body as { content: string }).content.startsWith(QUESTION),
        30_000,
      );
      const question = await waitFor(() => [...f.messages.values()].find((x) => x.content?.startsWith(QUESTION) && x.components?.length), {
        what: "the agent's question with its buttons",
        intervalMs: 5,
      });
      const atQuestion = watch.sample();
      samples.push(atQuestion);
      const approve = buttons(question).find((b) => b.label === 'Approve');
      if (!approve) throw new Error(`no Approve button on the question: ${buttons(question).map((b) => b.label).join(', ')}`);
      const turnsBefore = m.turns().length;
      const click = Date.now();
      await f.button({ customId: approve.custom_id, messageId: question.id });
      const decision = await m.waitForRequest((q) => isMainTurn(q) && lastUserInfo(q.body).lastToolResult !== null, 20_000);
      if (m.turns().indexOf(decision) < turnsBefore) throw new Error('a tool_result reached the model before the click');
      const done = await waitFor(async () => (await r.store.listIncidents({ limit: 5 })).find((i) => i.state === 'resolved'), {
        what: 'the incident resolved',
        timeoutMs: 20_000,
        intervalMs: 20,
      });
      await waitFor(() => sessionEnded, { what: 'the agent-ended event' });
      const { timeline } = (await r.store.getIncident(done.id))!;
      const at = (pred: (x: LadderRecord) => boolean, what: string) => {
        const rec = timeline.find(pred);
        if (!rec) throw new Error(`no '${what}' record in the timeline:\n${timeline.map((x) => `  ${x.text}`).join('\n')}`);
        return rec.at;
      };
      const escalation = at((x) => x.text.startsWith('level 3:'), 'level 3:');
      if (values.verbose) for (const x of timeline) console.log(`  round ${n} timeline +${x.at - fault} ms [${x.kind}] ${x.text.split('\n')[0]!.slice(0, 160)}`);
      const first = m.turns()[0]!;
      if (!first.rawBody.includes(setup.configPath)) throw new Error("the first main-loop request does not carry the recovery prompt");
      if (!firstAction) throw new Error('no agent-output line starting with ● was seen');
      const spawned = log.entries.find((e) => /AI agent started \(/.test(e.msg));
      const during = samples.filter((s) => s.at >= escalation && s.at <= (sessionEnded ?? Infinity) + SAMPLE_MS);
      const before = samples.filter((s) => s.at < escalation);
      const all = samples.filter((s) => s.at >= fault);
      const peak = (f: (x: Sample) => number) => Math.max(...during.map(f));
      const fa = firstAction as { at: number; line: string };
      return {
        fault,
        escalation,
        agentStarted: at((x) => x.text === 'starting the AI agent', 'starting the AI agent'),
        ptySpawned: spawned?.at ?? null,
        promptSent: first.at,
        firstAction: fa.at,
        firstActionLine: fa.line,
        approvalAsked: approvalAsked ?? NaN,
        approvalPosted: posted.at,
        click,
        approved: at((x) => x.kind === 'operator' && / approved: agent /.test(x.text), 'approved: agent'),
        decision: decision.at,
        sessionEnded: sessionEnded!,
        resolved: at((x) => x.kind === 'resolved', 'resolved'),
        outcome: `${done.outcome}; agent ${outcome}`,
        claudePeakRss: peak((x) => x.claudeRss),
        claudeRssAtQuestion: atQuestion.claudeRss,
        treePeakRss: peak((x) => x.treeRss),
        treeRssAtQuestion: atQuestion.treeRss,
        treePeakPss: peak((x) => x.treePss),
        treePssAtQuestion: atQuestion.treePss,
        mainPeakRss: peak((x) => x.mainRss),
        mainRssAtQuestion: atQuestion.mainRss,
        claudePeakProcs: peak((x) => x.claudeProcs),
        treeProcsAtQuestion: atQuestion.treeProcs,
        medicRssBefore: before.at(-1)?.medicRss ?? NaN,
        medicPeakRss: Math.max(...all.map((s) => s.medicRss)),
        apiRequests: m.requests.map((q) => {
          const kind = isMainTurn(q) ? (lastUserInfo(q.body).lastToolResult ? 'main loop, tool_result' : 'main loop') : q.path === '/v1/messages' ? 'side request' : '';
          return `${q.method} ${q.path}${kind ? ` (${kind})` : ''} +${q.at - escalation}`;
        }),
      };
    } finally {
      clearInterval(gatewayPids);
    }
  } catch (err) {
    const story = log.entries.slice(-40).map((e) => `  ${new Date(e.at).toISOString().slice(11, 23)} ${e.level} ${e.msg}`);
    throw new Error(`round ${n} failed: ${(err as Error).message}\nthe medic's last log lines:\n${story.join('\n')}`, { cause: err });
  } finally {
    clearInterval(sampler);
    // Everything the round started, stopped: the medic (agent, gateway, bot, API, store), the fakes, the dirs.
    await running?.stop().catch((err: Error) => console.error(`round ${n}: medic.stop() failed: ${err.message}`));
    await fake?.stop().catch(() => {});
    await model?.close().catch(() => {});
    await world.cleanup();
    await finalCheck(n, watch, [dataDir]);
  }
}

/** Fails loudly if anything the round started still runs or a temp dir of it is left. */
async function finalCheck(n: number, watch: ProcessWatch, dirs: (string | null)[]): Promise<void> {
  const gone = await waitFor(() => watch.survivors().length === 0, { timeoutMs: 5_000 }).catch(() => false);
  if (!gone) {
    const left = watch.survivors();
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL'); // ours (same pid and start time as seen below this process)
      } catch {
        // gone meanwhile
      }
    }
    const agents = left.filter((p) => p.cmd.includes('claude'));
    throw new Error(
      `round ${n}: ${left.length} process(es) of the round outlived its clean-up${agents.length ? `, ${agents.length} of them the agent's ('claude')` : ''} (now killed):\n` +
        left.map((p) => `  ${p.pid} ${p.cmd.slice(0, 200)}`).join('\n'),
    );
  }
  const left = dirs.filter((d): d is string => d !== null && existsSync(d));
  if (left.length) throw new Error(`round ${n}: temp dirs left: ${left.join(', ')}`);
  if (watch.seen.size === 0) throw new Error(`round ${n}: no process of the round was ever seen: the watch is broken`);
  pidsSeen[n - 1] = [...watch.seen.values()].map((p) => shortName(p.cmd));
  if (values.verbose) for (const [pid, p] of watch.seen) console.log(`  round ${n} saw ${pid}: ${p.cmd.slice(0, 240)}`);
}

/** How long each 200 ms sample took (it runs on the event loop the medic shares). */
const sampleCostMs: number[] = [];

/** Per round: the processes (short names) the watch saw below this process, all checked dead. */
const pidsSeen: string[][] = [];

// ---- report ----------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const secs = (ms: number) => (Math.abs(ms) >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const summarize = (names: string[]) => {
  const counts = new Map<string, number>();
  for (const x of names) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v}× ${k}`).join(', ');
};
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? '?';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, Claude Code ${CLI.version} (${CLI.which})`;
}

/** Every version's rounds, for the side-by-side table. */
const results: { cli: ClaudeCli; rounds: Round[] }[] = [];

async function benchCli(): Promise<void> {
  const load0 = loadavg()[0]!;
  const started = Date.now();
  console.log(`bench:agent: ${ROUNDS} round(s); ${machine()}; 1-min load ${load0.toFixed(2)}`);
  const rounds: Round[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const t = Date.now();
    try {
      rounds.push(await runRound(i));
    } catch (err) {
      console.error(`\n${(err as Error).message}`);
      process.exit(1);
    }
    const r = rounds.at(-1)!;
    console.log(
      `round ${i}: ${secs(Date.now() - t)} wall; escalation -> prompt ${secs(r.promptSent - r.escalation)}, -> question ${secs(r.approvalPosted - r.escalation)}; ` +
        `click -> decision ${secs(r.decision - r.click)}, -> resolved ${secs(r.resolved - r.click)}; fault -> resolved ${secs(r.resolved - r.fault)}; ` +
        `agent ('claude') RSS peak ${mib(r.claudePeakRss)}; ${r.outcome}`,
    );
    await new Promise((ok) => setTimeout(ok, 500));
  }

  type Metric = [name: string, values: number[], format: (x: number) => string];
  const col = (f: (r: Round) => number) => rounds.map(f);
  const metrics: Metric[] = [
    ['escalation → agent started (`starting the AI agent` record)', col((r) => r.agentStarted - r.escalation), secs],
    ['escalation → PTY spawned (medic log `AI agent started (…, pid N)`)', col((r) => (r.ptySpawned ?? NaN) - r.escalation), secs],
    ['escalation → prompt sent (1st main-loop request at the Messages API)', col((r) => r.promptSent - r.escalation), secs],
    ['escalation → first action on screen (1st `agent-output` line with ●)', col((r) => r.firstAction - r.escalation), secs],
    ['escalation → the ladder asks (`approval` event)', col((r) => r.approvalAsked - r.escalation), secs],
    ['escalation → approval request posted in Discord (🤖 message)', col((r) => r.approvalPosted - r.escalation), secs],
    ['click → approval recorded by the ladder (`… approved: agent …` record)', col((r) => r.approved - r.click), secs],
    ['click → decision inside the agent (request carrying the tool_result)', col((r) => r.decision - r.click), secs],
    ['click → agent session ended (`agent-ended` event)', col((r) => r.sessionEnded - r.click), secs],
    ['click → incident resolved', col((r) => r.resolved - r.click), secs],
    ['fault (medic start, broken config) → escalation to level 3', col((r) => r.escalation - r.fault), secs],
    ['fault → incident resolved (total)', col((r) => r.resolved - r.fault), secs],
    ["agent RSS, peak: VmRSS summed over processes with 'claude' in cmdline (200 ms samples)", col((r) => r.claudePeakRss), mib],
    ['agent RSS, the same at the approval question', col((r) => r.claudeRssAtQuestion), mib],
    ["agent's whole tree (those + hooks, shells), VmRSS summed, peak", col((r) => r.treePeakRss), mib],
    ["agent's whole tree, VmRSS summed, at the approval question", col((r) => r.treeRssAtQuestion), mib],
    ["agent's whole tree, PSS summed (no double count), peak", col((r) => r.treePeakPss), mib],
    ["agent's whole tree, PSS summed, at the approval question", col((r) => r.treePssAtQuestion), mib],
    ["agent's main process alone (the CLI), VmRSS peak", col((r) => r.mainPeakRss), mib],
    ["agent's main process alone, VmRSS at the approval question", col((r) => r.mainRssAtQuestion), mib],
    ["most processes with 'claude' in cmdline at once", col((r) => r.claudePeakProcs), (x) => String(x)],
    ["medic's process RSS before level 3 (bench process, fakes included)", col((r) => r.medicRssBefore), mib],
    ["medic's process RSS, peak of the round", col((r) => r.medicPeakRss), mib],
  ];
  console.log(`\n| metric (${rounds.length} rounds) | median | min | max |\n|---|--:|--:|--:|`);
  for (const [name, xs, fmt] of metrics) console.log(`| ${name} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`);

  // The article (/work/shared/seed, Test 2): 20:33:21 start, 20:33:44 command sent, 20:36:05 idle detection done.
  const ARTICLE = { promptSentS: 23, sessionEndS: 164, afterPromptS: 141, idleS: 120, capS: 600, recoveryMinS: 120, recoveryMaxS: 300 };
  const med = (f: (r: Round) => number) => median(col(f)) / 1000;
  const prompt = med((r) => r.promptSent - r.escalation);
  const promptFromStart = med((r) => r.promptSent - r.agentStarted);
  const ended = med((r) => r.sessionEnded - r.escalation);
  const endedAfterPrompt = med((r) => r.sessionEnded - r.promptSent);
  const total = med((r) => r.resolved - r.fault);
  const l3 = med((r) => r.resolved - r.escalation);
  const ratio = (a: number, b: number) => (a / b).toFixed(3);
  console.log('\n| vs the article (medians of this run) | clawmedic | article | ratio |\n|---|--:|--:|--:|');
  console.log(`| level 3 start → recovery prompt sent | ${prompt.toFixed(2)} s (from escalation); ${promptFromStart.toFixed(2)} s (from the agent's start) | 23 s (20:33:21 → 20:33:44) | ${ratio(prompt, 23)}; ${ratio(promptFromStart, 23)} |`);
  console.log(`| level 3 start → session end detected | ${ended.toFixed(2)} s | 164 s (20:33:21 → 20:36:05) | ${ratio(ended, ARTICLE.sessionEndS)} |`);
  console.log(`| prompt sent → session end detected | ${endedAfterPrompt.toFixed(2)} s (Stop hook) | 141 s ("140초 후"), ≥ 120 s of it the idle rule | ${ratio(endedAfterPrompt, ARTICLE.afterPromptS)} |`);
  console.log(`| level 3 start → resolved (gateway healthy again) | ${l3.toFixed(2)} s | not reached: "수동 개입 필요" | – |`);
  console.log(`| fault → resolved | ${total.toFixed(2)} s | "2-5분" average recovery | ${ratio(total, ARTICLE.recoveryMinS)} of 2 min; ${ratio(total, ARTICLE.recoveryMaxS)} of 5 min |`);
  console.log(`| session cap | 600 s (AGENT_TIMEOUT_MS default) | 600 s ("10분 타임아웃") | 1 |`);
  console.log(`| idle limit | 120 s default (30 s here, never reached) | 120 s ("2분 idle detection") | – |`);

  console.log('\n## Samples (per round, ms unless said)');
  for (const [i, r] of rounds.entries()) {
    const e = r.escalation;
    console.log(
      `- round ${i + 1}: fault→L3 ${e - r.fault}; L3→started ${r.agentStarted - e}, →pty ${(r.ptySpawned ?? NaN) - e}, →prompt ${r.promptSent - e}, →● ${r.firstAction - e}, ` +
        `→asks ${r.approvalAsked - e}, →posted ${r.approvalPosted - e}; click→recorded ${r.approved - r.click}, →decision ${r.decision - r.click}, →ended ${r.sessionEnded - r.click}, →resolved ${r.resolved - r.click}; ` +
        `total ${r.resolved - r.fault}; 'claude' RSS peak ${mib(r.claudePeakRss)} (${r.claudePeakProcs} at most), tree PSS peak ${mib(r.treePeakPss)}, ` +
        `main RSS peak ${mib(r.mainPeakRss)}; at the question: 'claude' RSS ${mib(r.claudeRssAtQuestion)}, tree PSS ${mib(r.treePssAtQuestion)} (${r.treeProcsAtQuestion.join(', ')}); ` +
        `medic RSS ${mib(r.medicRssBefore)} → peak ${mib(r.medicPeakRss)}; first ● line: ${JSON.stringify(r.firstActionLine.slice(0, 80))}; ` +
        `${pidsSeen[i]?.length ?? 0} processes seen, all dead after the round (${summarize(pidsSeen[i] ?? [])}); ` +
        `fake Messages API, ms after the escalation: ${r.apiRequests.join(', ')}`,
    );
  }
  console.log(
    `\nsampling cost on the shared event loop: median ${median(sampleCostMs).toFixed(1)} ms, max ${Math.max(...sampleCostMs).toFixed(1)} ms per sample (${sampleCostMs.length} samples, one every ${SAMPLE_MS} ms)`,
  );
  console.log(`${rounds.length} round(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; 1-min load ${load0.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end; no process of any round left`);
  results.push({ cli: CLI, rounds });
}

for (const c of CLIS) {
  CLI = c;
  await benchCli();
  console.log('');
}
printSideBySide();
process.exit(0);

/** The figures of issue 13 for every version of the run, side by side, with the article's beside them. */
function printSideBySide(): void {
  const med = (rounds: Round[], f: (r: Round) => number) => median(rounds.map(f));
  const rows: [string, (r: Round[]) => string, string][] = [
    ['escalation → prompt sent (1st main-loop request)', (r) => secs(med(r, (x) => x.promptSent - x.escalation)), '23 s (20:33:21 → 20:33:44)'],
    ['escalation → question in Discord (🤖 message posted)', (r) => secs(med(r, (x) => x.approvalPosted - x.escalation)), 'no question: no approvals'],
    ['click → decision in the agent (request carrying the tool_result)', (r) => secs(med(r, (x) => x.decision - x.click)), '–'],
    ['prompt sent → end of the session detected', (r) => `${secs(med(r, (x) => x.sessionEnded - x.promptSent))} (Stop hook)`, '141 s, ≥ 120 s of it the 2-minute idle detection'],
    ["agent's whole tree, PSS, peak", (r) => mib(med(r, (x) => x.treePeakPss)), '–'],
    ["agent RSS ('claude' processes), peak", (r) => mib(med(r, (x) => x.claudePeakRss)), '–'],
    ["agent RSS ('claude' processes), at the question", (r) => mib(med(r, (x) => x.claudeRssAtQuestion)), '–'],
  ];
  const head = results.map((x) => `Claude Code ${x.cli.version} (${x.cli.which})`);
  console.log(`## Side by side (medians; ${results.map((x) => `${x.rounds.length} rounds of ${x.cli.version}`).join(', ')})\n`);
  console.log(`| | ${head.join(' | ')} | the article |\n|---|${head.map(() => '--:|').join('')}--:|`);
  for (const [name, f, article] of rows) console.log(`| ${name} | ${results.map((x) => f(x.rounds)).join(' | ')} | ${article} |`);
}
