/**
 * Fleet mode's figures (docs/fleet.md), on a real etcd, real `clawmedic run` medics (built dist/) and
 * the fake Discord, on 127.0.0.1:
 *  1. bot failover: the leader medic kill -9'd -> the next leader's bot has identified, vs the lease TTL;
 *  2. a Discord click (/pause, /resume for a target on another host) -> the command run there (its audit
 *     record's time), p50/p90;
 *  3. a fault on host B (kill -9 of its gateway) -> its card posted in Discord, p50/p90;
 *  4. 20 simulated hosts x 5 targets on one etcd beside one real leader medic: etcd writes per second
 *     and the leader's idle CPU and RSS (and the same with no other host, for comparison).
 *
 *   npm run bench:fleet [-- --failovers 3 --clicks 20 --faults 5 --idle-s 60 --ttls 4,10 --only failover|commands|scale]
 */
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { systemClock } from '../src/lib/clock.js';
import { EtcdCoordination } from '../src/fleet/etcd-coordination.js';
import { fleetKeys } from '../src/fleet/keys.js';
import { Membership } from '../src/fleet/membership.js';
import type { TargetStatus } from '../src/recovery/types.js';
import { waitFor } from '../test/fixtures/gateways.js';
import { FleetWorld, type FleetMedic } from '../test/fleet/world.js';

const { values } = parseArgs({
  options: {
    failovers: { type: 'string', default: '3' },
    clicks: { type: 'string', default: '20' },
    faults: { type: 'string', default: '5' },
    'idle-s': { type: 'string', default: '60' },
    ttls: { type: 'string', default: '4,10' },
    only: { type: 'string', default: '' },
  },
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const load = () => execSync('uptime').toString().trim().replace(/^.*load average: /, 'load ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const figures: Record<string, unknown> = { startedAt: new Date().toISOString(), loadAtStart: load() };
const say = (line: string) => console.log(`[bench:fleet] ${line}`);

async function audits(m: FleetMedic): Promise<{ text: string; at: number }[]> {
  return ((await (await fetch(`http://127.0.0.1:${m.apiPort}/audit?limit=1000`)).json()) as { audit: { text: string; at: number }[] }).audit;
}

/** 1. Failover vs TTL. */
async function failover(ttlS: number): Promise<number[]> {
  const w = await FleetWorld.start({ members: 1, ttlS });
  const out: number[] = [];
  try {
    for (const h of ['a', 'b']) await w.addMedic(h);
    for (let i = 0; i < Number(values.failovers); i++) {
      const leader = await w.waitLeader(60_000);
      await waitFor(async () => ((await w.status(leader)).discord.state === 'connected' ? true : null), { timeoutMs: 60_000, what: 'bot connected' });
      const before = w.identifies();
      const t0 = Date.now();
      await w.killMedic(leader);
      await waitFor(() => (w.identifies() > before ? true : null), { timeoutMs: 20 * ttlS * 1000, intervalMs: 20, what: 'the next bot identified' });
      out.push(Date.now() - t0);
      say(`TTL ${ttlS} s: failover ${out.at(-1)} ms`);
      await w.restartMedic(leader);
      await sleep(2000);
    }
  } finally {
    await w.cleanup();
  }
  return out;
}

/** 2 and 3: click -> run on the remote host; fault on host B -> its card. */
async function clicksAndFaults(): Promise<{ click: number[]; card: number[] }> {
  const w = await FleetWorld.start({ members: 1, ttlS: 10 });
  const click: number[] = [];
  const card: number[] = [];
  try {
    const [a, b] = [await w.addMedic('a'), await w.addMedic('b')];
    const leader = await w.waitLeader(60_000);
    const remote = leader === a ? b : a;
    await waitFor(async () => ((await w.status(leader)).discord.state === 'connected' && (await w.status(leader)).fleet.hosts?.length === 2 ? true : null), {
      timeoutMs: 60_000,
      what: 'leader ready with both hosts',
    });
    for (let i = 0; i < Number(values.clicks); i++) {
      const seen = (await audits(remote)).filter((r) => r.text.includes('via the fleet leader')).length;
      const t0 = Date.now();
      await w.fake.chatInput({ name: i % 2 ? 'resume' : 'pause', options: [{ name: 'target', type: 3, value: remote.target }] });
      const rec = await waitFor(
        async () => {
          const list = (await audits(remote)).filter((r) => r.text.includes('via the fleet leader'));
          return list.length > seen ? list.sort((x, y) => y.at - x.at)[0] : null;
        },
        { timeoutMs: 30_000, intervalMs: 20, what: 'the command run on the remote host' },
      );
      click.push(rec.at - t0);
      await sleep(300);
    }
    say(`click -> remote: ${click.join(', ')} ms`);
    // The remote's last command was /resume when clicks is even; make sure it acts.
    await w.fake.chatInput({ name: 'resume', options: [{ name: 'target', type: 3, value: remote.target }] });
    await sleep(1000);
    let n = (await (await fetch(`http://127.0.0.1:${remote.apiPort}/incidents?limit=500`)).json() as { incidents: unknown[] }).incidents.length;
    for (let i = 0; i < Number(values.faults); i++) {
      const t0 = Date.now();
      await w.killGateway(remote);
      n += 1;
      const id = `${remote.target}-${n}`;
      await waitFor(() => (w.cards(id).length ? true : null), { timeoutMs: 60_000, intervalMs: 20, what: `card of ${id}` });
      card.push(Date.now() - t0);
      await waitFor(async () => ((await w.status(remote)).targets[0]!.incident === null && (await w.status(remote)).targets[0]!.health === 'up' ? true : null), {
        timeoutMs: 60_000,
        what: 'healed',
      });
      await sleep(1500);
    }
    say(`fault on B -> card: ${card.join(', ')} ms`);
  } finally {
    await w.cleanup();
  }
  return { click, card };
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}
async function etcdCounters(url: string): Promise<{ puts: number; deletes: number; proposals: number; txns: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { puts: get('etcd_mvcc_put_total'), deletes: get('etcd_mvcc_delete_total'), proposals: get('etcd_server_proposals_committed_total'), txns: get('etcd_mvcc_txn_total') };
}

/** Idle for `seconds`: etcd writes per second, the leader's CPU % of one core and RSS. */
async function idle(w: FleetWorld, leader: FleetMedic, seconds: number) {
  const pid = leader.child!.pid!;
  const url = w.etcd.members[0]!.clientUrl;
  const hz = 100;
  const [c0, e0, t0] = [cpuTicks(pid), await etcdCounters(url), Date.now()];
  await sleep(seconds * 1000);
  const [c1, e1, t1] = [cpuTicks(pid), await etcdCounters(url), Date.now()];
  const s = (t1 - t0) / 1000;
  return {
    seconds: Math.round(s),
    etcdPutsPerS: +((e1.puts - e0.puts) / s).toFixed(2),
    etcdDeletesPerS: +((e1.deletes - e0.deletes) / s).toFixed(2),
    etcdProposalsPerS: +((e1.proposals - e0.proposals) / s).toFixed(2),
    leaderCpuPct: +((((c1 - c0) / hz) / s) * 100).toFixed(2),
    leaderRssMb: rssMb(pid),
  };
}

/** 4. 20 simulated hosts x 5 targets (Membership of src/fleet, one process) beside one real leader medic. */
async function scale(): Promise<Record<string, unknown>> {
  const w = await FleetWorld.start({ members: 1, ttlS: 10 });
  const sims: Membership[] = [];
  const timers: NodeJS.Timeout[] = [];
  const coords: EtcdCoordination[] = [];
  try {
    // Probes at the default interval (5 s), as on a real host.
    const lead = await w.addMedic('lead', { PROBE_INTERVAL_MS: '5000' });
    await w.waitLeader(60_000);
    await waitFor(async () => ((await w.status(lead)).discord.state === 'connected' ? true : null), { timeoutMs: 60_000, what: 'bot connected' });
    await sleep(5000);
    const alone = await idle(w, lead, Number(values['idle-s']));
    say(`alone: ${JSON.stringify(alone)}`);
    const own = (await w.status(lead)).targets[0] as unknown as TargetStatus;
    const keys = fleetKeys('test');
    for (let h = 0; h < 20; h++) {
      const coord = new EtcdCoordination({ hosts: w.etcd.endpoints });
      coords.push(coord);
      const host = `sim${String(h).padStart(2, '0')}`;
      const targets = Array.from({ length: 5 }, (_, i) => ({ ...own, name: `gw-${host}-${i}` }));
      const m = new Membership({ coord, keys, host, ttlS: 10, clock: systemClock, log: quiet, version: 'bench', targets: () => targets });
      m.start();
      sims.push(m);
      // Each simulated target is probed every 5 s (the default), staggered: a status event, its probe time changed.
      targets.forEach((t, i) => {
        const probe = () => {
          t.lastProbe = { ok: true, at: Date.now(), latencyMs: 2, status: 200, error: null };
          m.markDirty();
        };
        setTimeout(() => timers.push(setInterval(probe, 5000)), (h * 5 + i) * 50);
      });
    }
    await waitFor(async () => ((await w.status(lead)).fleet.hosts?.length === 21 ? true : null), { timeoutMs: 60_000, what: '21 hosts seen by the leader' });
    await sleep(5000);
    const fleet = await idle(w, lead, Number(values['idle-s']));
    say(`20 hosts x 5 targets: ${JSON.stringify(fleet)}`);
    return { alone, twentyHostsFiveTargets: fleet };
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.all(sims.map((m) => m.stop()));
    await Promise.all(coords.map((c) => c.close()));
    await w.cleanup();
  }
}

const only = String(values.only);
if (!only || only === 'failover') {
  const fo: Record<string, unknown> = {};
  for (const ttl of String(values.ttls).split(',').map(Number)) {
    const xs = await failover(ttl);
    fo[`ttl${ttl}s`] = { samplesMs: xs, p50Ms: pct(xs, 50), maxMs: Math.max(...xs), p50OverTtl: +(pct(xs, 50) / (ttl * 1000)).toFixed(2) };
  }
  figures.failover = fo;
}
if (!only || only === 'commands') {
  const cf = await clicksAndFaults();
  figures.clickToRemote = { n: cf.click.length, p50Ms: pct(cf.click, 50), p90Ms: pct(cf.click, 90) };
  figures.faultToCard = { n: cf.card.length, p50Ms: pct(cf.card, 50), p90Ms: pct(cf.card, 90) };
}
if (!only || only === 'scale') figures.scale = await scale();
figures.loadAtEnd = load();
console.log(JSON.stringify(figures, null, 2));
