/**
 * The bench's results as one markdown table (what the README quotes), the raw samples
 * under it, and the page bench/RESULTS.md is made of.
 */
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
      ['hang → incident opened, default settings, median', h.rounds.length, `${s(median(col('detectMs')))}${spread(col('detectMs'))}`, 'never (no health check)', `expected ${s(e.detectMinMs)}–${s(e.detectMaxMs)} (mean ${s(e.detectMeanMs)}); ${these('expectedDetectMs')}`],
      ['hang → healthy again, median', h.rounds.length, `${s(median(col('healthyMs')))}${spread(col('healthyMs'))}`, 'never', `detection + ${s(e.stopTimeoutMs)} SIGTERM grace + restart; ${these('expectedHealthyMs')}`],
    );
  }
  const i = r.idle;
  if (i) {
    const secs = `${Math.round(i.sampleMs / 1000)} s`;
    for (const [label, m] of [['1 target', i.one], [`${i.targets} targets`, i.many]]) {
      rows.push(
        [`idle CPU of the medic, ${label}`, secs, `${m.cpuPercent.toFixed(2)} % of one core`, '', ''],
        [`idle RSS of the medic, ${label}`, `${m.rssSamples.length} samples`, `${median(m.rssSamples).toFixed(1)} MB (peak ${m.peakMiB.toFixed(1)})`, '', ''],
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
        `- hang round ${n + 1}: first probe ${(x.leadMs / 1000).toFixed(2)} s after the freeze; incident opened after ${s(x.detectMs)} (expected ${s(x.expectedDetectMs)}; seen on /status after ${s(x.seenMs)}), healthy again after ${s(x.healthyMs)} (expected ${s(x.expectedHealthyMs)}); cause: "${x.cause}"`,
      );
    }
  }
  if (r.idle) {
    for (const [label, m] of [['1 target', r.idle.one], [`${r.idle.targets} targets`, r.idle.many]]) {
      out.push(`- idle, ${label}: ${m.cpuSeconds.toFixed(2)} s of CPU in ${(m.wallMs / 1000).toFixed(1)} s; RSS samples (MB) ${list(m.rssSamples, (v) => v.toFixed(1))}`);
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
