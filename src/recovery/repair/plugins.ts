/**
 * OpenClaw's own commands for a plugin that crashes the gateway and for the channels its
 * crash-loop breaker suppressed: `openclaw plugins disable <id>` (sets
 * `plugins.entries.<id>.enabled=false`, nothing else of the config changes) and
 * `openclaw gateway call channels.start --params '{"channel":"<id>"}' --json`.
 */
import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';
import { describeResult, runCommand } from '../../lib/run-command.js';
import { lastMeaningfulLine } from './doctor.js';

export interface OpenClawCommandOptions {
  /** The OpenClaw CLI as the gateway's PATH finds it. Default `openclaw`. */
  cli: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
}

/** A plugin id as OpenClaw names them: anything else is refused before it reaches a shell. */
const PLUGIN_ID = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

export function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function disablePluginCommand(cli: string, id: string): string {
  return `${cli} plugins disable ${quote(id)}`;
}

export function enablePluginCommand(cli: string, id: string): string {
  return `${cli} plugins enable ${quote(id)}`;
}

export async function disablePlugin(id: string | undefined, o: OpenClawCommandOptions): Promise<{ ok: boolean; detail: string }> {
  if (!id || !PLUGIN_ID.test(id)) return { ok: false, detail: `not a plugin id: ${JSON.stringify(id ?? null)}` };
  const command = disablePluginCommand(o.cli, id);
  const r = await runCommand(command, run(o));
  const last = lastMeaningfulLine(r.output);
  if (r.code !== 0) return { ok: false, detail: `${command}: ${describeResult(r)}${last ? `: ${last}` : ''}` };
  // Said where the repair is read (thread, records): undoing it is one command.
  return { ok: true, detail: `disabled only plugin ${id} (${command}: ${last ?? 'ok'}); the rest of the config is untouched; to re-enable it: ${enablePluginCommand(o.cli, id)}` };
}

/** An operator's undo of `disablePlugin`: OpenClaw applies it at the gateway's next start (or reload). */
export async function enablePlugin(id: string, o: OpenClawCommandOptions): Promise<{ ok: boolean; detail: string }> {
  if (!PLUGIN_ID.test(id)) return { ok: false, detail: `not a plugin id: ${JSON.stringify(id)}` };
  const command = enablePluginCommand(o.cli, id);
  const r = await runCommand(command, run(o));
  const last = lastMeaningfulLine(r.output);
  if (r.code !== 0) return { ok: false, detail: `${command}: ${describeResult(r)}${last ? `: ${last}` : ''}` };
  return { ok: true, detail: `${command}: ${last ?? 'ok'}; if it crashes the gateway again, clawmedic disables it again` };
}

/** The channels the config configures and does not disable (`channels.<id>`, `enabled` not false). */
export async function configuredChannels(configPath: string): Promise<string[]> {
  let config: unknown;
  try {
    config = JSON5.parse(await readFile(configPath, 'utf8'));
  } catch {
    return [];
  }
  const channels = (config as { channels?: unknown } | null)?.channels;
  if (!channels || typeof channels !== 'object') return [];
  return Object.entries(channels as Record<string, unknown>)
    .filter(([id, c]) => /^[\w-]+$/.test(id) && c !== null && typeof c === 'object' && (c as { enabled?: unknown }).enabled !== false)
    .map(([id]) => id);
}

/**
 * Starts each configured channel (after a crash loop OpenClaw's breaker keeps them from
 * starting for 5 minutes). Null when no channel is configured: nothing to say.
 */
export async function startChannels(configPath: string, o: OpenClawCommandOptions): Promise<string | null> {
  const channels = await configuredChannels(configPath);
  if (channels.length === 0) return null;
  const results: string[] = [];
  for (const channel of channels) {
    const command = `${o.cli} gateway call channels.start --params ${quote(JSON.stringify({ channel }))} --json`;
    const r = await runCommand(command, run(o));
    results.push(r.code === 0 ? `${channel} started` : `${channel}: ${describeResult(r)} ${lastMeaningfulLine(r.output) ?? ''}`.trim());
  }
  return `channels suppressed by OpenClaw's crash-loop breaker: ${results.join('; ')}`;
}

function run(o: OpenClawCommandOptions) {
  return { timeoutMs: o.timeoutMs, ...(o.env ? { env: o.env } : {}), ...(o.cwd ? { cwd: o.cwd } : {}) };
}
