/**
 * The `clawmedic` command. Reads `.env` and argv, nothing more: `run` hands them to the
 * composition root; the other commands find a running medic (src/cli/client.ts) and talk to
 * it over its local API. Every bad argument is one line and exit 2, never a stack trace.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { configDump, configSummary } from './cli/check-config.js';
import { loadEnv } from './env-file.js';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { renderIncident, renderIncidentList, renderStatus } from './cli-render.js';
import { runDemo } from './demo.js';
import { deployCommands } from './commands/deploy.js';
import { deployCommand } from './deploy/index.js';
import { VERSION } from './version.js';
import { findCommand, parseCommand, renderHelp, usageError, usageLine, UsageError, wholeNumber, type ParsedCommand } from './cli/commands.js';
import { ApiError, callApi, parseMedicUrl, resolveMedic } from './cli/client.js';
import { runForeground, StartError, zeroConfig } from './cli/run.js';
import { sayWriteResult, type WriteResult } from './cli/sentences.js';
import { dashboardName, requestDashboardLink, sayDashboardLink } from './cli/dashboard.js';
import { fleetCommand } from './cli/fleet.js';

/** Where the CLI writes; tests capture it. `width`: the terminal's columns (undefined: not a terminal). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  width: number | undefined;
}

const consoleIo = (): CliIo => ({
  out: (t) => console.log(t),
  err: (t) => console.error(t),
  width: process.stdout.isTTY ? process.stdout.columns : undefined,
});

export { loadEnv };

/** Runs one command line; resolves with the exit code (0 ok, 1 failure, 2 bad usage or configuration). */
export async function main(argv: string[], env = loadEnv(), io: CliIo = consoleIo()): Promise<number> {
  try {
    return await dispatch(argv, env, io);
  } catch (err) {
    return report(err, env, io);
  }
}

function report(err: unknown, env: NodeJS.ProcessEnv, io: CliIo): number {
  if (err instanceof UsageError) {
    io.err(err.message);
    return 2;
  }
  if (err instanceof ConfigError) {
    io.err(`${err.message}\n\nFix the variables above in .env or the environment (see .env.example), then run: clawmedic check-config`);
    return 2;
  }
  if (err instanceof StartError) {
    io.err(err.message);
    return err.exitCode;
  }
  if (err instanceof ApiError) {
    io.err(err.message);
    return 1;
  }
  // A bug: the message, and the stack only when asked for.
  const e = err as Error;
  io.err(`clawmedic failed: ${e.message ?? String(err)}${env.LOG_LEVEL === 'debug' ? `\n${e.stack}` : ' (LOG_LEVEL=debug shows where)'}`);
  return 1;
}

async function dispatch(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === '--version' || first === '-v' || first === 'version') {
    io.out(`clawmedic ${VERSION}`);
    return 0;
  }
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out(renderHelp());
    return first === undefined ? 2 : 0;
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${first}: the command comes first, clawmedic <command> [options]; see clawmedic --help`);
  const spec = findCommand(first);
  if (!spec) throw new UsageError(`unknown command '${first}': see clawmedic --help for the commands`);
  if (spec.delegated) {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(`Usage: ${usageLine(spec)}\n  ${spec.summary.join('\n  ')}`);
      return 0;
    }
    // src/deploy parses its own flags (--systemd, --launchd, --dry-run ...).
    return deployCommand(argv, env, { out: io.out, err: io.err });
  }
  const cmd = parseCommand(spec, argv);
  if (cmd.help) {
    io.out(`Usage: ${usageLine(spec)}\n  ${spec.summary.join('\n  ')}`);
    return 0;
  }
  const { values } = cmd;
  switch (spec.name) {
    case 'run':
      return runForeground(env);
    case 'demo':
      return runDemo(env, runForeground);
    case 'deploy-commands': {
      const config = loadConfig(env);
      if (!config.discord) throw usageError(spec, 'needs DISCORD_TOKEN, DISCORD_GUILD_ID and DISCORD_CHANNEL_ID (see .env.example)');
      io.out(await deployCommands(config.discord, { global: values.global === true }));
      return 0;
    }
    case 'check-config': {
      // What `run` would find: OpenClaw's own gateway service when no target is configured.
      const { env: effective, detected } = await zeroConfig(env);
      const config = loadConfig(effective);
      io.out(values.json === true ? configDump(config) : [...detected, configSummary(config, effective)].join('\n'));
      return 0;
    }
    case 'fleet':
      io.out(await fleetCommand(cmd, env));
      return 0;
    default:
      return apiCommand(cmd, env, io);
  }
}

/** The commands that talk to a running medic. */
async function apiCommand(cmd: ParsedCommand, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const { spec, values, arg } = cmd;
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  // Arguments are checked before the medic is looked for: a bad one never waits on the network.
  const write = writeRequest(cmd, str);
  const limit = spec.name === 'incidents' && str('limit') !== undefined ? wholeNumber(spec, 'limit', str('limit')!, 1, 500, 'incidents') : 20;
  const days = spec.name === 'digest' && str('days') !== undefined ? wholeNumber(spec, 'days', str('days')!, 1, 366, 'days') : 7;
  const url = str('url');
  if (url !== undefined && !parseMedicUrl(url)) throw usageError(spec, `--url must look like http://127.0.0.1:18790 (got '${url}')`);
  const name = spec.name === 'dashboard' ? dashboardName(spec, str('name')) : '';
  const medic = await resolveMedic({ url, dataDir: str('data-dir') }, env);
  const json = values.json === true;
  if (spec.name === 'dashboard') {
    const link = await requestDashboardLink(medic, name);
    io.out(json ? JSON.stringify(link, null, 2) : sayDashboardLink(link));
    return 0;
  }
  const render = { width: io.width };
  if (spec.name === 'status') {
    const status = await callApi(medic, 'GET', '/status');
    io.out(json ? JSON.stringify(status, null, 2) : renderStatus(status as never, Date.now(), render));
    return 0;
  }
  if (spec.name === 'incidents') {
    const body = arg ? await callApi(medic, 'GET', `/incidents/${encodeURIComponent(arg)}`) : await callApi(medic, 'GET', `/incidents?limit=${limit}`);
    if (json) io.out(JSON.stringify(body, null, 2));
    else io.out(arg ? renderIncident(body as never, render) : renderIncidentList(body as never, Date.now(), render));
    return 0;
  }
  if (spec.name === 'postmortem') return postmortem(medic, arg!, str('out'), json, io);
  if (spec.name === 'digest') {
    const body = (await callApi(medic, 'GET', `/digest?days=${days}`)) as { markdown: string };
    io.out(json ? JSON.stringify(body, null, 2) : body.markdown.trimEnd());
    return 0;
  }
  if (spec.name === 'approve' && cmd.id === undefined) return showQuestion(medic, cmd.arg!, io);
  if (!write) throw new Error(`no handler for ${spec.name}`);
  const body = (await callApi(medic, 'POST', `/${spec.name}`, write.payload)) as Record<string, unknown>;
  io.out(json ? JSON.stringify(body, null, 2) : sayWriteResult(write.result(body), Date.now()));
  return 0;
}

/** `postmortem <id>`: the report on stdout, or into `out` (0600: it quotes the gateway's output). */
async function postmortem(medic: Parameters<typeof callApi>[0], id: string, out: string | undefined, json: boolean, io: CliIo): Promise<number> {
  const body = (await callApi(medic, 'GET', `/incidents/${encodeURIComponent(id)}/postmortem`)) as { id: string; markdown: string };
  if (out === undefined) {
    io.out(json ? JSON.stringify(body, null, 2) : body.markdown.trimEnd());
    return 0;
  }
  try {
    await writeFile(out, body.markdown, { mode: 0o600 });
  } catch (err) {
    throw new UsageError(`clawmedic postmortem: cannot write ${out} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose a file in a folder that exists`);
  }
  io.out(json ? JSON.stringify({ id: body.id, file: out }) : `wrote the postmortem of ${body.id} to ${out}`);
  return 0;
}

/** `approve <target>` without an id: what is asked and how to answer it; nothing is answered (exit 2). */
async function showQuestion(medic: Parameters<typeof callApi>[0], target: string, io: CliIo): Promise<number> {
  type Question = { id: string; question: string; command: string };
  const status = (await callApi(medic, 'GET', '/status')) as { targets: { name: string; incident: { approval: Question | null } | null }[] };
  const t = status.targets.find((x) => x.name === target);
  if (!t) throw new ApiError(`unknown target '${target}'; targets: ${status.targets.map((x) => x.name).join(', ')}`);
  const open = t.incident?.approval;
  if (!open) throw new ApiError(`${target} has no question waiting for an answer`);
  io.err(`${target} asks (${open.id}): ${open.question}\n  ${open.command}\nAnswer it by its id: clawmedic approve ${target} ${open.id} [--deny]`);
  return 2;
}

interface WriteRequest {
  payload: Record<string, unknown>;
  result(body: Record<string, unknown>): WriteResult;
}

function writeRequest(cmd: ParsedCommand, str: (name: string) => string | undefined): WriteRequest | null {
  const { spec, values } = cmd;
  const target = cmd.arg!;
  const payload: Record<string, unknown> = { target, by: `cli:${userInfo().username}` };
  const note = str('note');
  if (note !== undefined) payload.note = note;
  const incident = (b: Record<string, unknown>) => (typeof b.incident === 'string' ? b.incident : null);
  switch (spec.name) {
    case 'pause': {
      const raw = str('minutes');
      const minutes = raw === undefined ? null : wholeNumber(spec, 'minutes', raw, 1, 7 * 24 * 60, 'minutes');
      if (minutes !== null) payload.minutes = minutes;
      return { payload, result: () => ({ kind: 'pause', target, minutes }) };
    }
    case 'resume':
      return { payload, result: () => ({ kind: 'resume', target }) };
    case 'abort':
      return { payload, result: (b) => ({ kind: 'abort', target, incident: incident(b) }) };
    case 'recover': {
      const raw = str('level');
      if (raw === undefined) throw usageError(spec, 'needs --level 0, 1, 2, 3 or 4');
      if (!/^[0-4]$/.test(raw.trim())) throw usageError(spec, `--level must be 0, 1, 2, 3 or 4 (got '${raw}')`);
      const level = Number(raw);
      payload.level = level;
      return { payload, result: (b) => ({ kind: 'recover', target, level, incident: incident(b) }) };
    }
    case 'approve': {
      if (values.deny === true && values['for-incident'] === true) throw usageError(spec, '--deny and --for-incident do not go together');
      const approved = values.deny !== true;
      const scope = values['for-incident'] === true ? 'incident' : 'once';
      Object.assign(payload, { approval: cmd.id, approved, scope });
      return {
        payload,
        result: (b) => ({ kind: 'approve', target, approved, scope, approval: typeof b.approval === 'string' ? b.approval : null }),
      };
    }
    default:
      return null;
  }
}

export async function cli(argv = process.argv.slice(2)): Promise<void> {
  process.exitCode = await main(argv);
}
