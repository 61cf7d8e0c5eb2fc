#!/usr/bin/env node
/**
 * kill -9 with a plain GATEWAY_COMMAND (`node demo/gateway.mjs …`, no `exec`, as users write it):
 * the medic spawns `/bin/sh -c …`, the gateway is the shell's child. Rounds alternate (rotating
 * order) between
 *   - kill -9 of the gateway (the pid /status shows, the listener) -> healthy again;
 *   - kill -9 of the shell wrapper (its parent) -> the orphaned gateway gone -> healthy again
 *     from a new gateway (a 200 from the orphan would not count: the time ends at the first
 *     200 after it is gone);
 *   - the bare gateway started directly (the floor).
 * `npm run bench:plain` (builds first); `--quick` for 3 rounds, `--no-write` to print only.
 * The figures go to a marked section of bench/RESULTS.md, which bench/run.mjs keeps.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { commandLine, freePort, isAlive, Janitor, killAndWaitGone, killHard, parentPid, pollUntil200, processesWithEnv, shellQuote, spawnLogged, waitFor } from './lib.mjs';
import { describeMachine } from './report.mjs';
import { POLL_MS, START_DELAY_MS } from './scenarios.mjs';
import { median, percentile } from './stats.mjs';
import { gatewayArgs, healthUrl, snapshotBuild, startMedic, stopMedic, waitMedicSettled } from './supervisors.mjs';

const MARKER = 'CLAWMEDIC_BENCH_RUN';
const RESULTS_PATH = new URL('./RESULTS.md', import.meta.url).pathname;
export const SECTION_START = '<!-- plain-command: written by bench/plain-command.mjs -->';
export const SECTION_END = '<!-- /plain-command -->';
const t0 = performance.now();
const log = (line) => console.log(`[plain ${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}`);

async function main() {
  const { values: opts } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } });
  const ROUNDS = opts.quick ? 3 : 10;
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) throw new Error('clawmedic is not built: run `npm run build` first');
  const marker = randomBytes(6).toString('hex');
  const root = await mkdtemp(join(os.tmpdir(), 'clawmedic-bench-plain-'));
  const build = await snapshotBuild(join(root, 'app'));
  const config = await import(pathToFileURL(build.config).href);
  const baseEnv = { ...process.env, [MARKER]: marker };
  for (const { name } of config.CONFIG_VARIABLES) delete baseEnv[name];
  for (const name of Object.keys(baseEnv)) if (name === 'MEDIC_ENV_FILE' || name.startsWith('DISCORD_')) delete baseEnv[name];
  const ctx = { root, build, janitor: new Janitor(), baseEnv, gatewayConfig: join(root, 'gateway.json'), medics: [], log };
  await writeFile(ctx.gatewayConfig, JSON.stringify({ gateway: { mode: 'local' } }, null, 2));
  const loadBefore = os.loadavg()[0];
  const gw = { mode: 'ok', startDelayMs: START_DELAY_MS };
  const results = { gateway: [], wrapper: [], floor: [] };
  try {
    const port = await freePort();
    // A plain command line: no `exec`, so dash forks the gateway and stays as its parent.
    const command = [process.execPath, build.gateway, ...gatewayArgs(port, gw)].map(shellQuote).join(' ');
    const medic = await startMedic(ctx, 'plain-medic', { GATEWAY_COMMAND: command, GATEWAY_HEALTH_URL: healthUrl(port) });
    log(`clawmedic (pid ${medic.pid}) supervises \`${command}\`; ${ROUNDS} rounds; load average ${loadBefore.toFixed(2)}`);
    /** The gateway (pid on /status) and the shell it runs under, once the medic shows the listener. */
    const settled = async (unlessPid = null) => {
      const status = await waitMedicSettled(medic, { unlessPid });
      const { pid } = status.targets[0];
      const wrapper = parentPid(pid);
      if (wrapper === null || !/^\/bin\/sh -c /.test(commandLine(wrapper))) {
        // /status may still name the shell for up to one watch tick after a start.
        return settled(pid);
      }
      return { pid, wrapper };
    };
    const kinds = {
      async gateway() {
        const { pid } = await settled();
        const start = performance.now();
        await killAndWaitGone(pid);
        return (await pollUntil200(healthUrl(port), { everyMs: POLL_MS, what: 'the gateway after kill -9 of itself' })) - start;
      },
      async wrapper() {
        const { pid, wrapper } = await settled();
        const start = performance.now();
        await killAndWaitGone(wrapper);
        // The orphaned gateway still answers until the medic stops it: only a 200 after it is gone counts.
        await waitFor(() => !isAlive(pid), { timeoutMs: 15_000, intervalMs: 5, what: `the orphaned gateway ${pid} to be stopped` });
        return (await pollUntil200(healthUrl(port), { everyMs: POLL_MS, what: 'the gateway after kill -9 of its shell' })) - start;
      },
      async floor() {
        const p = await freePort();
        const start = performance.now();
        const child = await spawnLogged(ctx.janitor, process.execPath, [build.gateway, ...gatewayArgs(p, gw)], { logPath: join(root, 'direct.log'), env: baseEnv });
        const ms = (await pollUntil200(healthUrl(p), { everyMs: POLL_MS, what: 'the gateway started directly' })) - start;
        child.kill('SIGTERM');
        await child.exited;
        return ms;
      },
    };
    const names = Object.keys(kinds);
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of names.map((_, i) => names[(i + round) % names.length])) results[kind].push(await kinds[kind]());
      log(`  round ${round + 1}: kill -9 of the gateway ${Math.round(results.gateway.at(-1))} ms, of its shell ${Math.round(results.wrapper.at(-1))} ms, bare start ${Math.round(results.floor.at(-1))} ms`);
    }
    const status = (await medic.status()).targets[0];
    log(`medic: ${status.restarts} restarts counted for ${2 * ROUNDS} kills`);
    await stopMedic(ctx, medic);
  } finally {
    await Promise.all(ctx.medics.map((m) => stopMedic(ctx, m).catch(() => {})));
    await ctx.janitor.killAll();
    const strays = processesWithEnv(MARKER, marker);
    for (const pid of strays) {
      console.error(`cleanup: pid ${pid} was still running: ${commandLine(pid)}`);
      killHard(pid);
    }
    await unlink(join(root, 'app', 'node_modules')).catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
  const section = render(results, loadBefore, ROUNDS);
  console.log(`\n${section}`);
  if (opts.quick || opts['no-write']) return;
  await writeFile(RESULTS_PATH, withSection(readFileSync(RESULTS_PATH, 'utf8'), section));
  console.log('written to bench/RESULTS.md');
}

function render(r, loadBefore, rounds) {
  const ms = (v) => `${Math.round(v)} ms`;
  const [g, w, f] = [median(r.gateway), median(r.wrapper), median(r.floor)];
  return [
    SECTION_START,
    '## kill -9 with a plain command line (no `exec`)',
    '',
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}; ${describeMachine('').replace(/, PM2 $/, '')}; 1-minute load average ${loadBefore.toFixed(2)} at the start, ${os.loadavg()[0].toFixed(2)} at the end`,
    `- Command: \`node bench/plain-command.mjs\` (${rounds} rounds, build first)`,
    '',
    '| What | N | median | p90 | Comparison |',
    '|---|---:|---:|---:|---|',
    `| kill -9 of the shell wrapper → healthy again (new gateway) | ${r.wrapper.length} | ${ms(w)} | ${ms(percentile(r.wrapper, 90))} | wrapper / gateway = **${(w / g).toFixed(2)}** |`,
    `| kill -9 of the gateway (the pid /status shows) → healthy again | ${r.gateway.length} | ${ms(g)} | ${ms(percentile(r.gateway, 90))} | gateway / floor = ${(g / f).toFixed(2)} |`,
    `| floor: the gateway started directly (spawn → first 200) | ${r.floor.length} | ${ms(f)} | ${ms(percentile(r.floor, 90))} | wrapper / floor = ${(w / f).toFixed(2)} |`,
    '',
    `- Samples, wrapper (ms): ${r.wrapper.map(Math.round).join(', ')}`,
    `- Samples, gateway (ms): ${r.gateway.map(Math.round).join(', ')}`,
    `- Samples, floor (ms): ${r.floor.map(Math.round).join(', ')}`,
    `- Method: GATEWAY_COMMAND \`node demo/gateway.mjs --port N --mode ok --start-delay-ms ${START_DELAY_MS}\` (no \`exec\`: the medic spawns \`/bin/sh -c …\`, dash forks the gateway and stays as its parent), every other setting at its default. Before each kill the medic shows the gateway healthy with no incident and /status names the listener, whose parent is the \`/bin/sh -c\` wrapper. Gateway: SIGKILL of the /status pid, then GET /healthz every ${POLL_MS} ms until a 200. Wrapper: SIGKILL of the shell; the orphaned gateway keeps answering until the medic stops it, so the time runs from the kill to the first 200 after the orphan is gone (the new gateway's). Floor: the same gateway spawned directly. Order rotates each round.`,
    SECTION_END,
  ].join('\n');
}

/** `page` with its plain-command section replaced by `section` (appended when it has none). */
export function withSection(page, section) {
  const a = page.indexOf(SECTION_START);
  const b = page.indexOf(SECTION_END);
  if (a >= 0 && b > a) return `${page.slice(0, a)}${section}${page.slice(b + SECTION_END.length)}`;
  return `${page.trimEnd()}\n\n${section}\n`;
}

/** The section of `page` (for bench/run.mjs to keep when it rewrites the page), or null. */
export function sectionOf(page) {
  const a = page.indexOf(SECTION_START);
  const b = page.indexOf(SECTION_END);
  return a >= 0 && b > a ? page.slice(a, b + SECTION_END.length) : null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  });
}
