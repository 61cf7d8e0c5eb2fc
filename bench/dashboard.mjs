#!/usr/bin/env node
/**
 * The web dashboard's figures (`npm run build`, then `node bench/dashboard.mjs [--rounds N] [--idle-ms MS]`).
 * Linux only (/proc), Debian's Chromium at /usr/bin/chromium (scripts/install-chromium.sh).
 *
 *   1. page load: from navigation to the target's card drawn (a signed-in tab reloading), p50/p90;
 *   2. event -> page: an operator's pause/resume through the local API until the card shows it
 *      (the outbox event, the SSE frame, the page's 150 ms debounce and its re-read), p50/p90;
 *   3. the medic's idle CPU and RSS (1 target) without a dashboard, then with one open and live.
 *
 * Everything on 127.0.0.1; the medic (and its gateway) and the browser are stopped by pid at the end.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { freePort, getJson, sleep } from './lib.mjs';
import { percentile } from './stats.mjs';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '20' }, 'idle-ms': { type: 'string', default: '30000' } } });
const rounds = Number(opts.rounds);
const idleMs = Number(opts['idle-ms']);
const repo = new URL('..', import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), 'clawmedic-bench-dash-'));
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
};
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function sampleIdle(pid, ms) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rss = [];
  while (performance.now() - t0 < ms) {
    rss.push(rssMiB(pid));
    await sleep(1000);
  }
  const used = cpuSeconds(pid) - cpu0;
  return { cpuPercent: (used / ((performance.now() - t0) / 1000)) * 100, rssMiB: rss.reduce((a, b) => a + b, 0) / rss.length };
}

const fmt = (xs) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p90 ${percentile(xs, 90).toFixed(0)} ms (n=${xs.length})`;

let medic = null;
let browser = null;
try {
  const gatewayPort = await freePort();
  const apiPort = await freePort();
  const config = join(root, 'openclaw.json');
  writeFileSync(config, JSON.stringify({ gateway: { mode: 'local', port: gatewayPort } }));
  const env = {
    PATH: process.env.PATH,
    HOME: root,
    MEDIC_DATA_DIR: join(root, 'data'),
    MEDIC_HTTP_PORT: String(apiPort),
    GATEWAY_NAME: 'gw',
    GATEWAY_COMMAND: `node ${join(repo, 'demo/gateway.mjs')} --port ${gatewayPort}`,
    GATEWAY_HEALTH_URL: `http://127.0.0.1:${gatewayPort}/healthz`,
    GATEWAY_CONFIG_PATH: config,
    DOCTOR_COMMAND: 'true',
    AGENT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  };
  medic = spawn(process.execPath, [join(repo, 'bin/clawmedic.js'), 'run'], { env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; i < 200; i++) {
    const s = await getJson(`${url}/status`).catch(() => null);
    if (s?.targets?.[0]?.health === 'up') break;
    await sleep(100);
  }
  // Past the known-good snapshot (60 s healthy by default) the medic is as idle as it gets.
  await sleep(65_000);
  const without = await sampleIdle(medic.pid, idleMs);

  const link = JSON.parse(execFileSync(process.execPath, [join(repo, 'bin/clawmedic.js'), 'dashboard', '--json', '--url', url], { env, encoding: 'utf8' })).url;
  const profile = join(root, 'chromium');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.goto(link);
  await page.locator('article.target[data-target="gw"]').waitFor();
  await page.locator('#live.on').waitFor();

  const loads = [];
  for (let i = 0; i < Math.min(rounds, 10); i++) {
    const t0 = Date.now();
    await page.reload();
    await page.locator('article.target[data-target="gw"]').waitFor();
    loads.push(Date.now() - t0);
  }
  await page.locator('#live.on').waitFor();

  const token = readFileSync(join(root, 'data', 'api-token'), 'utf8').trim();
  const post = (path) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ target: 'gw', by: 'bench' }) });
  const delays = [];
  for (let i = 0; i < rounds; i++) {
    for (const [path, phase] of [['/pause', 'paused'], ['/resume', 'healthy']]) {
      const t0 = Date.now();
      await post(path);
      await page.locator('article.target[data-target="gw"] .badge', { hasText: phase }).first().waitFor();
      delays.push(Date.now() - t0);
    }
  }

  const withPage = await sampleIdle(medic.pid, idleMs);
  console.log(`| what | result |\n|---|---|`);
  console.log(`| page load (reload of a signed-in tab to the target card drawn) | ${fmt(loads)} |`);
  console.log(`| event -> page (API pause/resume -> the card shows it; includes the page's 150 ms debounce) | ${fmt(delays)} |`);
  console.log(`| medic idle, no dashboard (${idleMs / 1000} s) | CPU ${without.cpuPercent.toFixed(2)} %, RSS ${without.rssMiB.toFixed(0)} MiB |`);
  console.log(`| medic idle, dashboard open and live (${idleMs / 1000} s) | CPU ${withPage.cpuPercent.toFixed(2)} %, RSS ${withPage.rssMiB.toFixed(0)} MiB |`);
  console.log(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
} finally {
  await browser?.close().catch(() => {});
  if (medic?.pid) {
    medic.kill('SIGTERM');
    await new Promise((r) => (medic.exitCode !== null ? r() : medic.once('exit', r)));
  }
  rmSync(root, { recursive: true, force: true });
}
