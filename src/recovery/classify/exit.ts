/**
 * Names the failure class of a gateway exit from its evidence: the exit code and signal, the
 * gateway's last lines, and the newest stability bundle OpenClaw wrote (when given). Pure: no
 * `node:*`, no clock; the adapter that gathers the evidence is `evidence.ts`. The lines matched
 * are OpenClaw's own (see /work/shared/reference/openclaw-failures.md).
 */
import type { FailureClass } from '../types.js';

export interface ExitEvidence {
  code: number | null;
  signal: string | null;
  /** The gateway's last lines of this run, oldest first. */
  lines: string[];
  /** The newest stability bundle of this run (`$STATE/logs/stability/*.json`), parsed; null: none. */
  bundle?: { name: string; json: unknown } | null;
}

/** Where OpenClaw runs a plugin's code: `…/plugin-captures/<uuid>/captures/<build>/package-N/node_modules/<id>/…`. */
const PLUGIN_PATH = /plugin-captures\/[^/\s]+\/captures\/[^/\s]+\/package-\d+\/node_modules\/((?:@[^/\s]+\/)?[^/\s]+)\//;
const LOCK_OWNED = /Another gateway \(pid (\d+)\) already owns this state directory/;
const LOCK_TIMEOUT = /gateway already running \(pid (\d+)\); lock timeout/;
const DUEL = /another OpenClaw process owns gateway-lifecycle/;
const CONFIG_NEWER = /Your OpenClaw config was written by version (\S+?),? but this command is running (\S+?)\.?(?:\s|$)/;
const BINARY_OLDER = /Refusing to run automatic gateway startup migrations because this OpenClaw binary/;
const SCHEMA_NEWER = /uses newer schema version (\d+); this build supports (\d+)/;
const NODE_OLD = /openclaw: Node (v?[\d.]+): node:sqlite is unavailable; use ([^\s;,]+)/;
const HEAP = /JavaScript heap out of memory|Reached heap limit/;

/** The class of an exit, or null when the evidence names nothing more specific than its exit code. */
export function classifyExit(e: ExitEvidence): FailureClass | null {
  const lines = e.lines.map(stripAnsi);
  const find = (re: RegExp) => {
    for (let i = lines.length - 1; i >= 0; i--) {
      const m = re.exec(lines[i]!);
      if (m) return { line: lines[i]!.trim(), m };
    }
    return null;
  };

  const duel = find(DUEL);
  if (duel) {
    return fc('duelling-supervisors', null, [duel.line], 'another OpenClaw process already runs this gateway (it owns gateway-lifecycle): two supervisors are managing it');
  }
  const lock = find(LOCK_OWNED) ?? find(LOCK_TIMEOUT);
  if (lock) {
    const pid = lock.m[1]!;
    return fc('stale-lock', `pid ${pid}`, [lock.line], `a state lock names pid ${pid} as the running gateway, so OpenClaw refuses to start`);
  }
  const schema = find(SCHEMA_NEWER);
  if (schema) {
    const [, has, supports] = schema.m;
    return fc('state-schema', 'state database', [schema.line], `the state database has schema version ${has!}, newer than this OpenClaw supports (${supports!})`);
  }
  const node = find(NODE_OLD);
  if (node) {
    return fc('node-too-old', `Node ${node.m[1]!}`, [node.line], `OpenClaw cannot run on Node ${node.m[1]!} and found no usable Node (it needs ${node.m[2]!})`);
  }
  const drift = find(CONFIG_NEWER);
  const older = find(BINARY_OLDER);
  if (drift || older) {
    const evidence = [drift?.line, older?.line].filter((l): l is string => l !== undefined);
    const culprit = drift ? `config stamped ${drift.m[1]!}` : 'config';
    const what = drift ? `the config was written by OpenClaw ${drift.m[1]!}, newer than the ${drift.m[2]!} running it` : 'the config was written by a newer OpenClaw than the one running it';
    return fc('version-drift', culprit, evidence, what);
  }
  const heap = find(HEAP);
  if (heap || e.code === 134) {
    const evidence = heap ? [heap.line] : [];
    return fc('out-of-memory', null, evidence, heap ? 'ran out of memory (JavaScript heap out of memory)' : 'ran out of memory (exit 134, aborted)');
  }
  if (e.code !== null && e.code !== 0) {
    const plugin = pluginCrash(lines, e.bundle ?? null);
    if (plugin) return plugin;
  }
  return null;
}

/** A plugin's code on the stack of the error that ended the gateway (its lines, or the stability bundle). */
function pluginCrash(lines: string[], bundle: ExitEvidence['bundle']): FailureClass | null {
  const stack = bundleStack(bundle);
  const fromBundle = stack ? PLUGIN_PATH.exec(stack) : null;
  let id = fromBundle?.[1] ?? null;
  let where: string | null = null;
  for (let i = lines.length - 1; i >= 0 && !id; i--) {
    const m = PLUGIN_PATH.exec(lines[i]!);
    if (m) {
      id = m[1]!;
      where = lines[i]!.trim();
    }
  }
  if (!id) return null;
  const rejection = lines.some((l) => l.includes('Unhandled promise rejection')) || /unhandled_rejection/.test(bundle?.name ?? '');
  const kind = rejection ? 'an unhandled promise rejection' : 'an uncaught exception';
  const message = errorLine(lines, rejection);
  const evidence = [message, where ?? (fromBundle ? `${bundle!.name}: ${firstFrame(stack!, id)}` : null)].filter((l): l is string => !!l);
  return fc('plugin-crash', id, [...new Set(evidence)], `plugin ${id} crashed the gateway with ${kind}`);
}

function bundleStack(bundle: ExitEvidence['bundle']): string | null {
  const json = bundle?.json;
  if (!json || typeof json !== 'object') return null;
  const error = (json as { error?: unknown }).error;
  if (error && typeof error === 'object') {
    const stack = (error as { stack?: unknown }).stack;
    if (typeof stack === 'string') return stack;
  }
  return null;
}

/** The error's own message line: OpenClaw's rejection line, or the first `Error:` line. */
function errorLine(lines: string[], rejection: boolean): string | null {
  const re = rejection ? /Unhandled promise rejection/ : /\b\w*Error\b:|Uncaught exception/i;
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]!)) return lines[i]!.trim();
  return null;
}

function firstFrame(stack: string, id: string): string {
  return stack.split('\n').find((l) => l.includes(`/node_modules/${id}/`))?.trim() ?? stack.split('\n')[0]!.trim();
}

function fc(cls: FailureClass['class'], culprit: string | null, evidence: string[], summary: string): FailureClass {
  return { class: cls, culprit, evidence: evidence.map((l) => (l.length > 300 ? `${l.slice(0, 297)}...` : l)), summary };
}

function stripAnsi(line: string): string {
  return line.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}
