/**
 * The fleet fault explorer: from a seed, a random sequence of the fleet's faults against a real
 * 3-member etcd, three real medics (hosts a, b, c) and the fake Discord; after each fault the fleet
 * must settle (one leader, every host joined and healthy, every queue empty), and over the whole
 * history (Jepsen's habit: record, then check):
 *  - at most one bot writes to Discord at a time: every REST write carries its leader's term in its
 *    User-Agent (`clawmedic-fleet <fleet>/<host> term <n>`); a term that writes again after another
 *    term wrote is two bots writing at once (the fence failed);
 *  - every event delivered once: each incident of each host (and each "host lost") has exactly one card,
 *    and every line of its timeline is in its thread exactly once;
 *  - every host heals its own gateway while etcd has no majority.
 * Replayable: the same seed gives the same sequence (`npm run explore:fleet -- --seed S --steps K`).
 */
import { waitFor } from '../fixtures/gateways.js';
import { FleetWorld, type FleetMedic } from './world.js';
import { prng } from '../explore/plan.js';

export const FAULTS = ['kill-leader', 'etcd-member', 'majority', 'stop-medic', 'gateway', 'click', 'stranger'] as const;
export type FaultName = (typeof FAULTS)[number];

export interface Fault {
  fault: FaultName;
  /** Which host (a, b, c) or etcd member (0-2) it hits, where it picks one. */
  on: string;
}

export const HOSTS = ['a', 'b', 'c'] as const;

/** The sequence a seed stands for. */
export function faultsFor(seed: number, steps: number): Fault[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: Fault[] = [];
  for (let i = 0; i < steps; i++) {
    const fault = pick(FAULTS);
    const on =
      fault === 'etcd-member' ? String(pick([0, 1, 2])) : fault === 'majority' ? `${pick([0, 1, 2])}+${pick(HOSTS)}` : fault === 'kill-leader' ? 'leader' : pick(HOSTS);
    out.push({ fault, on });
  }
  return out;
}

export function describeFaults(faults: Fault[]): string {
  return faults.map((f, i) => `${i + 1}. ${f.fault} ${f.on}`).join('\n');
}

export interface ExploreResult {
  seed: number;
  faults: Fault[];
  violations: string[];
  /** Figures for the log: leader changes seen, writes checked, lines checked. */
  figures: { terms: string[]; writes: number; incidents: number; lines: number; failoverMs: number[] };
}

interface Line {
  text: string;
  incidentId: string | null;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function json<T>(m: FleetMedic, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${m.apiPort}${path}`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as T;
}

async function audits(m: FleetMedic): Promise<{ text: string }[]> {
  return (await json<{ audit: { text: string }[] }>(m, '/audit?limit=1000')).audit;
}

async function lastReply(w: FleetWorld, id: string): Promise<string> {
  const r = await waitFor(() => w.fake.interactionResponses(id).find((x) => typeof (x.data as { content?: unknown } | undefined)?.content === 'string')?.data, {
    timeoutMs: 40_000,
    what: `a reply to interaction ${id}`,
  });
  return String((r as { content?: string }).content ?? '');
}

export class FleetExplorer {
  private readonly violations: string[] = [];
  private readonly failoverMs: number[] = [];
  private world: FleetWorld | null = null;

  constructor(
    private readonly seed: number,
    private readonly steps: number,
    private readonly say: (line: string) => void = (l) => console.log(l),
  ) {}

  async run(): Promise<ExploreResult> {
    const faults = faultsFor(this.seed, this.steps);
    this.say(`[fleet explore] seed ${this.seed}, ${this.steps} steps:\n${describeFaults(faults)}\nreplay: npm run explore:fleet -- --seed ${this.seed} --steps ${this.steps}`);
    const w = (this.world = await FleetWorld.start({ members: 3, ttlS: 4 }));
    try {
      for (const h of HOSTS) await w.addMedic(h);
      await this.settle(w, 'start');
      for (const [i, f] of faults.entries()) {
        const t0 = Date.now();
        await this.apply(w, f);
        await this.settle(w, `${i + 1}. ${f.fault} ${f.on}`);
        this.say(`[fleet explore] seed ${this.seed} step ${i + 1} ${f.fault} ${f.on}: settled in ${Date.now() - t0} ms`);
      }
      const figures = await this.check(w);
      return { seed: this.seed, faults, violations: this.violations, figures: { ...figures, failoverMs: this.failoverMs } };
    } catch (err) {
      this.violations.push(`${(err as Error).message}\n${w.logs()}`);
      return { seed: this.seed, faults, violations: this.violations, figures: { terms: [], writes: 0, incidents: 0, lines: 0, failoverMs: this.failoverMs } };
    } finally {
      await w.cleanup();
      this.world = null;
    }
  }

  private medic(w: FleetWorld, host: string): FleetMedic {
    return w.medics.find((m) => m.host === host)!;
  }

  private async apply(w: FleetWorld, f: Fault): Promise<void> {
    switch (f.fault) {
      case 'kill-leader': {
        const old = await w.waitLeader(60_000);
        const at = Date.now();
        await w.killMedic(old);
        const next = await w.waitLeader(60_000);
        if (next === old) this.violations.push(`a kill -9'd leader (${old.host}) still leads`);
        this.failoverMs.push(Date.now() - at);
        await w.restartMedic(old);
        return;
      }
      case 'etcd-member': {
        const i = Number(f.on);
        await w.etcd.kill(i);
        await sleep(w.ttlS * 1000);
        w.etcd.restart(i);
        await w.etcd.waitHealthy(60_000);
        return;
      }
      case 'majority': {
        const [member, host] = f.on.split('+') as [string, string];
        const down = [0, 1, 2].filter((i) => i !== Number(member));
        for (const i of down) await w.etcd.kill(i);
        await waitFor(async () => ((await w.leaders()).length === 0 ? true : null), { timeoutMs: 30_000, what: 'no leader without a majority' });
        const from = w.fake.requests.length;
        const m = this.medic(w, host);
        const old = await w.killGateway(m);
        try {
          await waitFor(
            async () => {
              const t = (await w.status(m)).targets[0]!;
              return t.pid !== old && t.health === 'up' && t.incident === null ? true : null;
            },
            { timeoutMs: 40_000, what: `${host} heals its gateway without an etcd majority` },
          );
        } catch (err) {
          this.violations.push((err as Error).message);
        }
        const written = w.writesSince(from);
        if (written.length) this.violations.push(`${written.length} Discord writes with no etcd majority: ${written.map((r) => `${r.method} ${r.route} ${r.userAgent ?? ''}`).join('; ')}`);
        for (const i of down) w.etcd.restart(i);
        await w.etcd.waitHealthy(60_000);
        return;
      }
      case 'stop-medic': {
        const m = this.medic(w, f.on);
        await w.stopMedic(m);
        await sleep(1000);
        await w.restartMedic(m);
        return;
      }
      case 'gateway': {
        const m = this.medic(w, f.on);
        const old = await w.killGateway(m);
        await waitFor(async () => ((await w.status(m)).targets[0]!.pid !== old ? true : null), { timeoutMs: 40_000, what: `${f.on} restarted its gateway` });
        return;
      }
      case 'click': {
        const m = this.medic(w, f.on);
        await this.botReady(w);
        const before = (await audits(m)).length;
        const sent = await w.fake.chatInput({ name: 'recover', options: [{ name: 'target', type: 3, value: m.target }, { name: 'level', type: 4, value: 0 }] });
        const reply = await lastReply(w, sent.id);
        if (!reply.startsWith(`🔧 Level 0 started on **${m.target}**`)) this.violations.push(`/recover ${m.target} answered: ${reply}`);
        await waitFor(async () => ((await audits(m)).length > before ? true : null), { timeoutMs: 20_000, what: `the recover audited on ${m.host}` });
        return;
      }
      case 'stranger': {
        const m = this.medic(w, f.on);
        await this.botReady(w);
        const before = await Promise.all(w.medics.map(async (x) => (await audits(x)).filter((r) => r.text.includes('via the fleet leader')).length));
        const sent = await w.fake.chatInput({
          name: 'recover',
          userId: w.fake.users.outsider.id,
          options: [{ name: 'target', type: 3, value: m.target }, { name: 'level', type: 4, value: 0 }],
        });
        const reply = await lastReply(w, sent.id);
        if (!reply.startsWith('⛔ Only operators may use /recover')) this.violations.push(`a stranger's /recover for ${m.target} answered: ${reply}`);
        await sleep(1000);
        const after = await Promise.all(w.medics.map(async (x) => (await audits(x)).filter((r) => r.text.includes('via the fleet leader')).length));
        if (after.some((n, i) => n !== before[i])) this.violations.push(`a stranger's click reached a host: ${JSON.stringify({ before, after })}`);
        return;
      }
    }
  }

  /** The leader's bot is logged in (interactions reach it). */
  private async botReady(w: FleetWorld): Promise<void> {
    await waitFor(
      async () => {
        const l = await w.leaders();
        return l.length === 1 && (await w.status(l[0]!)).discord.state === 'connected' ? true : null;
      },
      { timeoutMs: 60_000, what: 'the leader bot ready' },
    );
  }

  /** One leader, every host joined, up, with no open incident and nothing queued. */
  private async settle(w: FleetWorld, after: string): Promise<void> {
    await w.waitLeader(60_000);
    await waitFor(
      async () => {
        for (const m of w.medics) {
          const s = await w.status(m).catch(() => null);
          const t = s?.targets[0];
          if (!s || !s.fleet.connected || s.fleet.queued > 0 || t?.health !== 'up' || t.incident !== null) return null;
        }
        const l = await w.leaders();
        if (l.length !== 1) return null;
        const s = await w.status(l[0]!);
        return s.discord.state === 'connected' && (s.fleet.lost ?? []).length === 0 ? true : null;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `the fleet settled after ${after}` },
    );
  }

  /** The checker over the whole history. */
  private async check(w: FleetWorld): Promise<Omit<ExploreResult['figures'], 'failoverMs'>> {
    // Let the last leader's relay drain (cards are coalesced over a second; lines batched).
    await sleep(3000);
    const writes = w.fake.requests.filter((r) => r.method !== 'GET');
    const runs: string[] = [];
    for (const r of writes) {
      const term = /clawmedic-fleet \S+ term \d+/.exec(r.userAgent ?? '')?.[0];
      if (!term) {
        this.violations.push(`a Discord write without a leader's term: ${r.method} ${r.route} (${r.userAgent ?? 'no user agent'})`);
        continue;
      }
      if (runs.at(-1) !== term) runs.push(term);
    }
    const terms = [...new Set(runs)];
    for (const t of terms) {
      const first = runs.indexOf(t);
      const last = runs.lastIndexOf(t);
      if (first !== last) this.violations.push(`two bots wrote at once: ${t} wrote again after ${runs.slice(first + 1, last).join(', ')}`);
    }
    // Every incident's card once, every timeline line once in its thread.
    let incidents = 0;
    let lines = 0;
    for (const m of w.medics) {
      const list = (await json<{ incidents: { id: string }[] }>(m, '/incidents?limit=500')).incidents;
      for (const { id } of list) {
        incidents += 1;
        const cards = w.cards(id);
        if (cards.length !== 1) {
          this.violations.push(`incident ${id} of ${m.host} has ${cards.length} cards`);
          continue;
        }
        const thread = w.fake.threads.find((t) => t.name?.startsWith(`${id} `));
        if (!thread) {
          this.violations.push(`incident ${id} of ${m.host} has no thread`);
          continue;
        }
        const text = w.fake.channelMessages(thread.id).map((x) => x.content ?? '').join('\n');
        const timeline = (await json<{ timeline: Line[] }>(m, `/incidents/${encodeURIComponent(id)}`)).timeline.filter((r) => r.incidentId === id);
        for (const l of timeline) {
          lines += 1;
          const key = l.text.split('\n')[0]!.slice(0, 200);
          const n = text.split(key).length - 1;
          if (n !== 1) this.violations.push(`incident ${id}: the line "${key}" is in its thread ${n} times`);
        }
      }
    }
    // "Host lost" incidents: one card each.
    const lost = new Map<string, number>();
    for (const msg of w.fake.channelMessages(w.fake.channelId)) {
      const title = msg.embeds?.[0]?.title ?? '';
      const id = / (\S+-lost-\d+) · /.exec(title)?.[1];
      if (id) lost.set(id, (lost.get(id) ?? 0) + 1);
    }
    for (const [id, n] of lost) if (n !== 1) this.violations.push(`host-lost incident ${id} has ${n} cards`);
    return { terms, writes: writes.length, incidents: incidents + lost.size, lines };
  }
}
