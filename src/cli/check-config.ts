/**
 * `clawmedic check-config`: the configuration validated, then a short account of what the medic
 * will do with it (what it supervises, how it restarts, whether level 3 and the bot are on) and
 * what to look at; `--json` prints every setting (secrets shown as set or unset).
 */
import { agentSummary, resolveAgentCommand } from '../agent/setup.js';
import type { MedicConfig, TargetConfig } from '../config.js';
import { alertsDump, alertsSummary } from '../config/alerts.js';

/** Every setting, with secrets replaced by `[set]`. */
export function configDump(config: MedicConfig): string {
  const shown = { ...config, apiToken: config.apiToken ? '[set]' : null, discord: config.discord && { ...config.discord, token: '[set]' }, alerts: alertsDump(config.alerts) };
  return JSON.stringify(shown, null, 2);
}

function firstWord(command: string): string {
  return command.trim().split(/\s+/)[0] ?? '';
}

/** What the medic does with one target, and what may surprise its operator. */
function targetLines(t: TargetConfig, env: NodeJS.ProcessEnv): { lines: string[]; warnings: string[] } {
  const warnings: string[] = [];
  const how = t.command
    ? `runs and supervises \`${t.command}\` (restarts it itself)`
    : t.restartCommand
      ? `watches the gateway and restarts it with \`${t.restartCommand}\``
      : 'only watches the gateway (no GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND: it can report, not restart)';
  if (!t.command && !t.restartCommand) warnings.push(`${t.name}: watch-only: set GATEWAY_COMMAND=openclaw gateway run (or GATEWAY_RESTART_COMMAND) to let the medic restart it`);
  for (const [what, command] of [
    ['GATEWAY_COMMAND', t.command],
    ['DOCTOR_COMMAND', t.configKind === 'openclaw' ? t.doctorCommand : null],
  ] as const) {
    if (!command) continue;
    const program = firstWord(command);
    if (!program.includes('/') && !resolveAgentCommand(program, env)) warnings.push(`${t.name}: ${what} runs '${program}', which is not on the PATH`);
  }
  return {
    lines: [`  ${t.name}: ${how}`, `    health ${t.healthUrl}, every ${t.probeIntervalMs / 1000} s; config ${t.configPath}`],
    warnings,
  };
}

/** The summary printed by check-config (no secrets). */
export function configSummary(config: MedicConfig, env: NodeJS.ProcessEnv): string {
  const targets = config.targets.map((t) => targetLines(t, env));
  const warnings = targets.flatMap((t) => t.warnings);
  const bot = config.discord
    ? `Discord bot: on (guild ${config.discord.guildId}, channel ${config.discord.channelId})`
    : 'Discord bot: off (DISCORD_TOKEN is not set)';
  return [
    `configuration ok: ${config.targets.length} target(s)`,
    ...targets.flatMap((t) => t.lines),
    agentSummary(config.agent, env),
    bot,
    ...alertsSummary(config.alerts),
    `local API: http://${config.httpHost}:${config.httpPort}, data in ${config.dataDir}`,
    ...(warnings.length ? ['warnings:', ...warnings.map((w) => `  - ${w}`)] : []),
  ].join('\n');
}
