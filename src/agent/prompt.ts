/**
 * The recovery prompt: what happened, what the ladder tried and learnt, the goal and the
 * limits, built from the incident as the ladder recorded it. Pure: the caller redacts
 * the result once more before it leaves the host.
 */
import { describeDiagnosis } from '../recovery/ladder/index.js';
import type { AgentRequest } from '../recovery/ports.js';

export interface PromptTarget {
  healthUrl: string;
  configPath: string;
  /** How the medic runs the gateway (GATEWAY_COMMAND), or restarts it (GATEWAY_RESTART_COMMAND). */
  command: string | null;
  restartCommand: string | null;
  validateCommand: string | null;
  /** The medic's own files: the agent keeps out of them. */
  medicDataDir: string;
}

/** Marks the agent's final words, so the summary can be found on screen and in the transcript. */
export const SUMMARY_MARK = 'RECOVERY SUMMARY:';

const MAX_TIMELINE = 40;
const MAX_OUTPUT = 40;
const MAX_LINE = 300;

export function buildRecoveryPrompt(req: AgentRequest, t: PromptTarget): string {
  const inc = req.incident;
  const line = (s: string) => (s.length > MAX_LINE ? `${s.slice(0, MAX_LINE)}…` : s);
  const timeline = req.timeline
    .slice(-MAX_TIMELINE)
    .map((r) => `- ${new Date(r.at).toISOString().slice(11, 19)} ${line(r.text.split('\n')[0] ?? '')}`);
  const output = req.recentOutput.slice(-MAX_OUTPUT).map((l) => `  ${line(l)}`);
  const diagnosis = inc.lastDiagnosis ? describeDiagnosis(inc.lastDiagnosis) : 'not run';
  const holder = inc.lastDiagnosis?.portHolder;
  const runs = t.command
    ? `clawmedic runs it with: ${t.command}`
    : t.restartCommand
      ? `a service manager runs it; clawmedic restarts it with: ${t.restartCommand}`
      : 'clawmedic cannot restart it';
  return [
    `You are the emergency recovery step of clawmedic, a watchdog that keeps the gateway "${req.target}" alive.`,
    `Automatic recovery failed; please recover the gateway. Diagnose the cause and repair it, then stop.`,
    '',
    '## The incident',
    `- Incident ${inc.id}, opened ${new Date(inc.openedAt).toISOString()}: ${inc.cause}`,
    `- Why you were called: ${req.reason}`,
    `- Health check: GET ${t.healthUrl} must answer HTTP 200`,
    `- Gateway config file: ${t.configPath}`,
    `- The gateway: ${runs}`,
    `- Restarts so far: ${inc.restarts}; doctor runs: ${inc.doctorRuns}; repairs tried: ${inc.tried.join(', ') || 'none'}`,
    `- Last diagnosis: ${diagnosis}`,
    ...(holder ? [`- Port holder: pid ${holder.pid} (${holder.command})${holder.stale ? ', a stale gateway' : ''}`] : []),
    ...(t.validateCommand ? [`- Validate the config with: ${t.validateCommand}`] : []),
    '',
    '## What the watchdog did (oldest first)',
    ...(timeline.length ? timeline : ['- (nothing recorded)']),
    '',
    "## The gateway's last output (secrets are masked as [REDACTED])",
    ...(output.length ? output : ['  (no output captured)']),
    '',
    '## Rules',
    '- Every command you run is shown to the on-call operators; anything that changes the system waits for their approval, and they may deny it.',
    '- Do not start, stop or restart the gateway yourself: the gateway is stopped now, and clawmedic starts it and checks its health as soon as you finish.',
    `- Do not touch clawmedic's own files (${t.medicDataDir}) or its process.`,
    '- Before editing a file, copy it next to itself with the suffix .bak-clawmedic. Change as little as possible.',
    '- No package installs, no network downloads, no deleting data, no changes to credentials or tokens.',
    '- Never print secrets (tokens, API keys, passwords): refer to them by name.',
    `- When you are done (or cannot go further), answer with one short paragraph that starts with "${SUMMARY_MARK}": the cause, what you changed, what a person should check.`,
  ].join('\n');
}
