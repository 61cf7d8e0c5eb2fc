/**
 * The bench's results as one markdown table (what the README quotes), the raw samples
 * under it, and the page bench/RESULTS.md is made of.
 */
import os from 'node:os';
import { POLL_MS, START_DELAY_MS, STATUS_POLL_MS } from './scenarios.mjs';
import { max, median, min, percentile } from './stats.mjs';

const ms = (v) => `${Math.round(v)} ms`;
const s = (v) => `${(v / 1000).toFixed(1)} s`;
const pct = (v) => `${Math.round(v * 100)} %`;
const ratio = (v) => v.toFixed(2);
const list = (values, fmt) => values.map(fmt).join(', ');

/**
 * @param r results: { kill: {medic, pm2, floor}, hang: {rounds, expected}, idle: {one, many, sampleMs, targets} }
 */
export function renderTable(r) {
  const rows = [['What', 'N', 'clawmedic', `PM2 ${r.pm2Version}`, 'Comparison']];
  const k = r.kill;
  if (k) {
    const mMed = median(k.medic);
    const pMed = median(k.pm2);
    const fMed = median(k.floor);
    rows.push(
      ['kill -9 of the gateway → healthy again, median', k.medic.length, ms(mMed), ms(pMed), `clawmedic / PM2 = **${ratio(mMed / pMed)}**`],
      ['kill -9 of the gateway → healthy again, p90', k.medic.length, ms(percentile(k.medic, 90)), ms(percentile(k.pm2, 90)), `clawmedic / PM2 = ${ratio(percentile(k.medic, 90) / percentile(k.pm2, 90))}`],
      ["floor: the gateway's own start-up (exec → first 200), median", k.floor.length, ms(fMed), '', `floor = **${pct(fMed / mMed)}** of clawmedic's median, ${pct(fMed / pMed)} of PM2's`],
    );
  }
  const h = r.hang;
  if (h) {
    const e = h.expected;
    const col = (key) => h.rounds.map((x) => x[key]);
    const spread = (v) => (v.length > 1 ? ` (${s(min(v))}–${s(max(v))})` : '');
    const these = (key) => `for these rounds' phases: ${list(col(key), s)}`;
    rows.push(
      ['SIGSTOP → incident opened, default settings, median', h.rounds.length, `${s(median(col('detectMs')))}${spread(col('detectMs'))}`, 'never (no health check)', `expected at most ${s(e.detectMaxMs)}, whatever the probe phase (before issue 10: 13.0 s–18.0 s, median 15.5 s)`],
      ['SIGSTOP → healthy again, median', h.rounds.length, `${s(median(col('healthyMs')))}${spread(col('healthyMs'))}`, 'never', `detection + restart (SIGCONT after SIGTERM: a clean stop, no grace waited out); ${these('expectedHealthyMs')}`],
    );
  }
  for (const [b, before] of [
    [r.busy, 'before: 3 timeouts and 2 quick re-probes, lead + 10 s (10-15 s), as the blocked-in-a-wait row'],
    [r.blocked, 'not pinned: 3 timeouts and 2 quick re-probes, as a gateway merely slow'],
  ]) {
    if (!b) continue;
    const col = (key) => b.rounds.map((x) => x[key]);
    const spread = (v) => (v.length > 1 ? ` (${s(min(v))}–${s(max(v))})` : '');
    rows.push(
      [`${b.label} → incident opened, default settings, median`, b.rounds.length, `${s(median(col('detectMs')))}${spread(col('detectMs'))}`, 'never (no health check)', `expected ${s(b.expected.detectMinMs)}–${s(b.expected.detectMaxMs)} by the probe phase; ${before}`],
      [`${b.label} → healthy again, median`, b.rounds.length, `${s(median(col('healthyMs')))}${spread(col('healthyMs'))}`, 'never', `detection + ${s(b.expected.graceMs)} SIGTERM grace (a frozen loop runs no handler) + restart; for these rounds' phases: ${list(col('expectedHealthyMs'), s)}`],
    );
  }
  if (r.busy && r.blocked) {
    const ratioOf = median(r.busy.rounds.map((x) => x.detectMs)) / median(r.blocked.rounds.map((x) => x.detectMs));
    rows.push(['busy loop / blocked in a wait, incident opened (medians, same run)', r.busy.rounds.length, `**${ratio(ratioOf)}**`, '', 'the pinned main thread against the count of 3 failed probes']);
  }
  const ip = r.inProcess;
  if (ip) {
    const kept = ip.rounds.filter((x) => x.samePid && x.restarts === 0 && x.incident === null).length;
    const back = ip.rounds.map((x) => x.backMs);
    rows.push([
      `in-process restart (SIGUSR2: port closed ${s(ip.restartMs)}, working) → not killed`,
      ip.rounds.length,
      `${kept} of ${ip.rounds.length}: same pid, no restart, no incident`,
      '',
      `answering again after ${s(median(back))} (its own restart); 3 failed probes at the default interval take 10-15 s`,
    ]);
  }
  const i = r.idle;
  if (i) {
    const secs = `${Math.round(i.sampleMs / 1000)} s`;
    for (const [label, m] of [['1 target', i.one], [`${i.targets} targets`, i.many]]) {
      rows.push(
        [`idle CPU of the medic, ${label}`, secs, `${m.cpuPercent.toFixed(2)} % of one core`, '', ''],
        [`idle RSS of the medic, ${label}`, `${m.rssSamples.length} samples`, `${median(m.rssSamples).toFixed(1)} MiB (peak ${m.peakMiB.toFixed(1)})`, '', ''],
      );
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  const line = (row) => `| ${row.map((cell, c) => String(cell).padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 1 || c === 2 || c === 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

export function renderSamples(r) {
  const out = [];
  if (r.kill) {
    out.push(`- kill -9 → healthy, clawmedic (ms): ${list(r.kill.medic, Math.round)}`);
    out.push(`- kill -9 → healthy, PM2 (ms): ${list(r.kill.pm2, Math.round)}`);
    out.push(`- gateway started directly, exec → first 200 (ms): ${list(r.kill.floor, Math.round)}`);
  }
  if (r.hang) {
    for (const [n, x] of r.hang.rounds.entries()) {
      out.push(
        `- SIGSTOP round ${n + 1}: frozen ${(x.leadMs / 1000).toFixed(2)} s before the next scheduled probe; incident opened after ${s(x.detectMs)} (expected at most ${s(x.expectedDetectMs)}; seen on /status after ${s(x.seenMs)}), healthy again after ${s(x.healthyMs)} (expected ${s(x.expectedHealthyMs)}); cause: "${x.cause}"`,
      );
    }
  }
  for (const b of [r.busy, r.blocked]) {
    if (!b) continue;
    for (const [n, x] of b.rounds.entries()) {
      out.push(
        `- ${b.label} round ${n + 1}: frozen ${(x.leadMs / 1000).toFixed(2)} s before the next scheduled probe; incident opened after ${s(x.detectMs)} (expected ${s(x.expectedDetectMs)}; seen on /status after ${s(x.seenMs)}), healthy again after ${s(x.healthyMs)} (expected ${s(x.expectedHealthyMs)}); cause: "${x.cause}"`,
      );
    }
  }
  if (r.inProcess) {
    for (const [n, x] of r.inProcess.rounds.entries()) {
      out.push(`- in-process restart round ${n + 1}: port closed ${s(x.closedMs)}; answering again after ${s(x.backMs)}; same pid: ${x.samePid}, restarts by the medic: ${x.restarts}, open incident: ${x.incident ? x.incident.id : 'none'}`);
    }
  }
  if (r.idle) {
    for (const [n, m] of [[1, r.idle.one], [r.idle.targets, r.idle.many]]) {
      const probes = (n * m.wallMs) / r.idle.probeIntervalMs;
      out.push(
        `- idle, ${n} target${n === 1 ? '' : 's'}: ${m.cpuSeconds.toFixed(2)} s of CPU in ${(m.wallMs / 1000).toFixed(1)} s${n > 1 ? `, about ${((m.cpuSeconds * 1000) / probes).toFixed(1)} ms per probe (${Math.round(probes)} probes)` : ''}; RSS samples (MiB) ${list(m.rssSamples, (v) => v.toFixed(1))}`,
      );
    }
  }
  return out.join('\n');
}

export function renderResultsPage({ table, samples, method, machine, command, date, totalMs, quick }) {
  return `# Benchmarks

Produced by \`bench/run.mjs\`${quick ? ' (**--quick: fewer rounds, not for quoting**)' : ''}; do not edit by hand, run it again.

- Date: ${date}
- Machine: ${machine}
- Command: \`${command}\` (${s(totalMs)} in all)

${table}

## Samples

${samples}

## Method

${method}
`;
}

export function describeMachine(pm2Version) {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = (os.totalmem() / 1024 ** 3).toFixed(0);
  return `${os.availableParallelism()} × ${cpu} (nproc ${os.availableParallelism()}), ${gib} GiB RAM, Linux ${os.release()}, Node ${process.version}, PM2 ${pm2Version}`;
}

function describeLeads(ctx) {
  const n = ctx.plan.hangRounds;
  return Array.from({ length: n }, (_, k) => ((ctx.defaults.probeIntervalMs * (2 * k + 1)) / (2 * n) / 1000).toFixed(2)).join(', ');
}

export function describeMethod(ctx) {
  const d = ctx.defaults;
  return [
    `- Fixture: \`demo/gateway.mjs --mode ok --start-delay-ms ${START_DELAY_MS}\` (node's boot plus ${START_DELAY_MS} ms before it listens; the real OpenClaw gateway takes 10-25 s).`,
    `- kill -9: clawmedic (\`node bin/clawmedic.js run\`, every setting at its default: probe every ${d.probeIntervalMs / 1000} s) and PM2 ${ctx.pm2Version} (own PM2_HOME; ecosystem file: fork mode, autorestart, restart_delay 0, the rest at PM2's defaults, so its fork container also loads @pm2/io into the app, \`pmx: true\`) each supervise one gateway on its own port, both running throughout. Each round kills the gateway with SIGKILL (pid from \`/status\` \`targets[0].pid\` and from \`pm2 jlist\`), waits until the pid is gone, then GETs /healthz every ${POLL_MS} ms (fresh connection each) until a 200; the time is from the kill to that 200. The floor is the same gateway started directly (spawn -> first 200, same ${POLL_MS} ms poll) in the same rounds. Order rotates each round (clawmedic, PM2, bare start). Before each clawmedic kill the medic has seen the gateway healthy (\`health: up\`, no incident); PM2's gateway has been up > 1.5 s (its min_uptime is 1 s). p90 is nearest-rank.`,
    `- SIGSTOP: the gateway (mode ok, the /status pid: the process serving the port) is frozen with SIGSTOP: it keeps its port, the kernel still accepts connections, nothing answers. The freeze is placed in the probe cycle (from \`/status\` \`lastProbe\`): the ${ctx.plan.hangRounds} rounds freeze it ${describeLeads(ctx)} s before the medic's next probe (before issue 10 the phase decided up to one interval of the detection time; now it does not). Defaults: ${d.failureThreshold} failed probes, ${d.probeIntervalMs / 1000} s interval, ${d.probeTimeoutMs / 1000} s probe timeout, ${d.probeRetryMs} ms quick re-probe after a failure. The supervisor reads the gateway's processes from /proc every 0.5 s; a process in state T wakes the probe loop, whose probe sees the state within 0.25 s: not answering at that first failed probe. Incident opened = the incident's \`openedAt\` (also seen on \`/status\`, polled every ${STATUS_POLL_MS} ms). Healthy again = first 200 from the restarted gateway (${POLL_MS} ms poll); the stop sends SIGCONT after SIGTERM, so the fixture shuts down at once. Expected healthy again = detection + the median kill -9 -> healthy above. The idle medics of part 3 run meanwhile (idle, warming up).`,
    `- Busy loop and blocked in a wait: the same rounds, the same placement in the probe cycle, each with its own medic and fixture gateway started with \`--freeze spin\` or \`--freeze wait\`; SIGWINCH to the /status pid freezes its event loop: spinning (\`for (;;);\`, main thread at 100% CPU, state R) or blocked in \`Atomics.wait\` (no CPU, state S). Both keep the port and answer nothing, SIGTERM included (the urgent stop's ${ctx.hangGraceMs / 1000} s grace, then SIGKILL). The supervisor reads the serving process's main thread (/proc/<pid>/task/<pid>/schedstat: time run + time waiting for a CPU) every 0.5 s; pinned (>= 90 %) for 1 s wakes the probe loop, and a probe that times out with the thread pinned through its wait (and >= 2 s in all) is the verdict "its event loop is blocked". Expected busy loop: min(lead, 1.5 s) + ${d.probeTimeoutMs / 1000} s timeout. The blocked-in-a-wait gateway is counted as before: lead + ${d.failureThreshold} × ${d.probeTimeoutMs / 1000} s + ${d.failureThreshold - 1} × ${d.probeRetryMs / 1000} s (what a busy loop took before).`,
    `- In-process restart: the fixture restarts in process on SIGUSR2 as OpenClaw does (same pid; /startupz \`draining\` 0.2 s, then its port refuses connections while it works at 100% CPU, then it listens again and /startupz says \`starting\`). On OpenClaw 2026.9.6 the port refused connections for 7.7-8.0 s (two SIGUSR2 restarts measured on this machine, 2026-12-03). The bench keeps the port closed longer than three failed probes at the default interval take (so counting them would restart it), sends SIGUSR2 to the /status pid, waits for the first 200, and checks the medic shows the same pid, made no restart and has no open incident.`,
    `- Idle: two medics at once, one with 1 and one with ${ctx.plan.idleTargets} targets, all supervised (the medic spawns one fixture gateway per target, ${ctx.plan.idleTargets + 1} gateway processes in all), every target healthy and past its ${d.snapshotAfterMs / 1000} s config snapshot, no API calls during the sample. CPU = utime + stime of the medic's process (all threads) from /proc/<pid>/stat over ${ctx.plan.idleSampleMs / 1000} s, as % of one core; RSS = VmRSS from /proc/<pid>/status once a second (median; peak = VmHWM, reached at start-up). RSS is mostly the runtime and the modules loaded, plus heap V8 has not handed back since start-up, so a few MiB between the two medics is garbage-collection timing more than target count.`,
  ].join('\n');
}
