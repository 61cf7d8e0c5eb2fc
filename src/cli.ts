/**
 * The `clawmedic` command. Reads `.env` and argv, nothing more: `run` hands them to the
 * composition root; the other commands talk to a running medic over its local API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { agentSummary } from './agent/setup.js';
import { loadConfig, type MedicConfig } from './config.js';
import { ConfigError } from './errors.js';
import { loadApiToken, runMedic } from './main.js';
import { renderIncident, renderIncidentList, renderStatus } from './cli-render.js';
import { runDemo } from './demo.js';
import { deployCommands } from './commands/deploy.js';
import { deployCommand, DEPLOY_USAGE } from './deploy/index.js';

const USAGE = `clawmedic: keeps an OpenClaw gateway alive

Usage:
  clawmedic run                          run the medic in the foreground (what npm start runs)
  clawmedic demo                         run a bundled demo gateway under the medic and break it
  clawmedic status [--json]              health, pid, restarts and open incident of every target
  clawmedic incidents [ID] [--json]      recent incidents, or one with its timeline
  clawmedic recover <target> --level N [--note TEXT]
                                         run a ladder level by hand (0/1 restart, 2 repair, 3 AI agent, 4 human)
  clawmedic approve <target> [--deny] [--for-incident]
                                         answer the open question (a port holder, a config restore,
                                         an AI agent's action; --for-incident: its later actions too)
  clawmedic abort <target> [--note TEXT] stop automatic actions for the open incident (ends the agent)
  clawmedic pause <target> [--minutes N] maintenance: watch but do not act
  clawmedic resume <target>
  clawmedic check-config                 validate the configuration and print it
  clawmedic deploy-commands [--global]   register the Discord slash commands (guild-scoped by default)

${DEPLOY_USAGE}

Configuration comes from the environment and .env (see .env.example); MEDIC_ENV_FILE names another file.
Exit codes: 0 ok, 1 failure (medic unreachable, request refused), 2 bad configuration or usage.`;

export function loadEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const file = base.MEDIC_ENV_FILE ?? '.env';
  if (!existsSync(file)) return { ...base };
  // Real environment variables win over the file, as with dotenv's defaults.
  return { ...dotenv.parse(readFileSync(file)), ...base };
}

export async function main(argv: string[], env = loadEnv()): Promise<number> {
  // deploy/ has its own flags (--systemd, --launchd, --dry-run ...).
  if (argv[0] === 'install' || argv[0] === 'uninstall' || argv[0] === 'guardian') return deployCommand(argv, env);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean', default: false },
      level: { type: 'string' },
      note: { type: 'string' },
      minutes: { type: 'string' },
      limit: { type: 'string' },
      global: { type: 'boolean', default: false },
      deny: { type: 'boolean', default: false },
      'for-incident': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'run':
      return runForeground(env);
    case 'demo':
      return runDemo(env, runForeground);
    case 'deploy-commands': {
      const config = loadConfig(env);
      if (!config.discord) return usage('deploy-commands needs DISCORD_TOKEN, DISCORD_GUILD_ID and DISCORD_CHANNEL_ID (see .env.example)');
      console.log(await deployCommands(config.discord, { global: values.global }));
      return 0;
    }
    case 'check-config': {
      const config = loadConfig(env);
      const shown = { ...config, apiToken: config.apiToken ? '[set]' : null, discord: config.discord && { ...config.discord, token: '[set]' } };
      console.log(JSON.stringify(shown, null, 2));
      console.log(`configuration ok: ${config.targets.length} target(s)`);
      console.log(agentSummary(config.agent, env));
      return 0;
    }
    case 'status': {
      const status = await api(loadConfig(env), 'GET', '/status');
      console.log(values.json ? JSON.stringify(status, null, 2) : renderStatus(status as never, Date.now()));
      return 0;
    }
    case 'incidents': {
      const config = loadConfig(env);
      const body = arg
        ? await api(config, 'GET', `/incidents/${encodeURIComponent(arg)}`)
        : await api(config, 'GET', `/incidents?limit=${values.limit ?? 20}`);
      if (values.json) console.log(JSON.stringify(body, null, 2));
      else console.log(arg ? renderIncident(body as never) : renderIncidentList(body as never));
      return 0;
    }
    case 'approve': {
      if (!arg) return usage('approve needs a target name');
      if (values.deny && values['for-incident']) return usage('--deny and --for-incident do not go together');
      const payload = {
        target: arg,
        by: `cli:${userInfo().username}`,
        approved: !values.deny,
        scope: values['for-incident'] ? 'incident' : 'once',
      };
      console.log(JSON.stringify(await api(loadConfig(env), 'POST', '/approve', payload)));
      return 0;
    }
    case 'recover':
    case 'abort':
    case 'pause':
    case 'resume': {
      if (!arg) return usage(`${command} needs a target name`);
      const by = `cli:${userInfo().username}`;
      const payload: Record<string, unknown> = { target: arg, by };
      if (command === 'recover') {
        const level = Number(values.level);
        if (values.level === undefined || !Number.isInteger(level)) return usage('recover needs --level 0|1|2|3|4');
        payload.level = level;
      }
      if (values.note !== undefined) payload.note = values.note;
      if (values.minutes !== undefined) payload.minutes = Number(values.minutes);
      const body = await api(loadConfig(env), 'POST', `/${command}`, payload);
      console.log(JSON.stringify(body));
      return 0;
    }
    default:
      return usage(`unknown command '${command}'`);
  }
}

function usage(problem: string): number {
  console.error(`${problem}\n\n${USAGE}`);
  return 2;
}

/** Runs the medic until SIGINT/SIGTERM, then stops it and every gateway it supervises. */
async function runForeground(env: NodeJS.ProcessEnv): Promise<number> {
  const medic = await runMedic({ env });
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      medic.log.info(`${signal}: stopping clawmedic and the gateways it supervises`);
      medic.stop().then(
        () => resolve(0),
        (err: Error) => {
          medic.log.error(`shutdown failed: ${err.message}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGHUP', () => shutdown('SIGHUP'));
  });
}

class ApiError extends Error {
  override readonly name = 'ApiError';
}

async function api(config: MedicConfig, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const url = `http://${config.httpHost}:${config.httpPort}${path}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (method === 'POST') headers.authorization = `Bearer ${await loadApiToken(config)}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new ApiError(`clawmedic is not answering on ${url} (${(err as Error).message}): is it running? start it with: npm start`);
  }
  const json = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(`${method} ${path}: ${res.status} ${json.error ?? res.statusText}`);
  return json;
}

export async function cli(argv = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\n\nFix the variables above in .env or the environment (see .env.example), then run: clawmedic check-config`);
      process.exitCode = 2;
    } else if (err instanceof ApiError || (err as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error((err as Error).message);
      process.exitCode = (err as NodeJS.ErrnoException).code ? 2 : 1;
    } else {
      console.error(`clawmedic failed: ${(err as Error).stack ?? String(err)}`);
      process.exitCode = 1;
    }
  }
}
