/**
 * Level 3 as the composition root sees it: is the agent available (its CLI found, credentials
 * set), and one session runner per target built from the config.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfig, MedicConfig, TargetConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { findExecutable, pathEntries } from '../lib/executable.js';
import type { AgentRunner, Logger } from '../recovery/ports.js';
import type { Redactor } from '../lib/redact.js';
import { ClaudeCodeDriver } from './claude-code.js';
import { agentCredential, CREDENTIAL_CHOICES, describeCredential, type CredentialVar } from './credentials.js';
import { askEverythingPolicy, readOnlyPolicy, type AutoAllow } from './policy.js';
import { planContainment } from './sandbox.js';
import { AgentSessionRunner } from './session-runner.js';

/** The package root (src/ and dist/ are one level below it). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HOOK_SCRIPT = join(ROOT, 'bin', 'clawmedic-agent-hook.mjs');

export type AgentAvailability = { enabled: true; command: string; credential: CredentialVar } | { enabled: false; why: string };

/** AGENT_COMMAND as a path: a path as given, else PATH, else clawmedic's own pinned copy. */
export function resolveAgentCommand(command: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): string | null {
  return findExecutable(command, [...pathEntries(env.PATH), join(ROOT, 'node_modules', '.bin')], cwd);
}

/** Whether level 3 can run; AGENT_ENABLED=true with something missing is a configuration error. */
export function agentAvailability(agent: AgentConfig, env: NodeJS.ProcessEnv): AgentAvailability {
  if (agent.enabled === 'false') return { enabled: false, why: 'AGENT_ENABLED=false' };
  const command = resolveAgentCommand(agent.command, env);
  const credential = agentCredential(env);
  const why = !command
    ? `AGENT_COMMAND '${agent.command}' was not found (in PATH or clawmedic's node_modules/.bin)`
    : !credential
      ? `none of ${CREDENTIAL_CHOICES} is set`
      : null;
  if (why === null && command && credential) return { enabled: true, command, credential };
  if (agent.enabled === 'true') throw new ConfigError([`AGENT_ENABLED is true but ${why}: fix it in .env, or set AGENT_ENABLED=auto`]);
  return { enabled: false, why: why ?? 'unavailable' };
}

/** What `clawmedic check-config` says about level 3: on (which CLI, which credential) or off (why). */
export function agentSummary(agent: AgentConfig, env: NodeJS.ProcessEnv): string {
  const a = agentAvailability(agent, env);
  if (!a.enabled) return `level 3 (AI agent): off: ${a.why}`;
  return `level 3 (AI agent): on: ${a.command}, credential ${describeCredential(a.credential)}`;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command Claude Code's hooks run: this Node and the hook script, shell-quoted. */
export function hookCommand(): string {
  return `${shellQuote(process.execPath)} ${shellQuote(HOOK_SCRIPT)}`;
}

export interface AgentSetup {
  /** The ladder's policy for the agent's tool calls. */
  autoAllow: AutoAllow;
  approvalTimeoutMs: number;
  runnerFor(target: TargetConfig): AgentRunner;
}

export function agentSetup(
  config: MedicConfig,
  command: string,
  deps: { env: NodeJS.ProcessEnv; redactor: Redactor; log: Logger },
): AgentSetup {
  const a = config.agent;
  const agentDir = join(config.dataDir, 'agent');
  const configDir = a.configDir ?? join(agentDir, 'claude-config');
  // Where the secrets are: the policy refuses or flags reads of them, the OS sandbox hides them.
  const envFile = resolve(deps.env.MEDIC_ENV_FILE ?? '.env');
  const workRoot = join(agentDir, 'work');
  const tmpDir = join(agentDir, 'tmp');
  const places = {
    home: deps.env.HOME ?? homedir(),
    dataDir: config.dataDir,
    configPaths: config.targets.map((t) => t.configPath),
    envFile: existsSync(envFile) ? envFile : null,
    agentConfigDir: configDir,
    agentDirs: [workRoot, tmpDir],
  };
  const sandboxPlaces = { ...places, workRoot, tmpDir, hidden: [configDir] };
  const plan = planContainment(a.sandbox, sandboxPlaces, deps.env, deps.log);
  const policy = readOnlyPolicy(a.autoAllow, places);
  const driver = new ClaudeCodeDriver({ command, extraArgs: a.args, configDir, env: deps.env, containment: plan.containment });
  return {
    autoAllow: plan.policyMayAllow ? policy : askEverythingPolicy(policy),
    approvalTimeoutMs: a.approvalTimeoutMs,
    runnerFor: (t) =>
      new AgentSessionRunner({
        driver,
        workRoot,
        transcriptDir: join(agentDir, 'transcripts'),
        hookCommand: hookCommand(),
        promptTarget: {
          healthUrl: t.healthUrl,
          configPath: t.configPath,
          command: t.command,
          restartCommand: t.restartCommand,
          validateCommand: t.configKind === 'openclaw' ? t.validateCommand : null,
          medicDataDir: config.dataDir,
        },
        redactor: deps.redactor,
        log: deps.log,
        screen: policy,
        timeoutMs: a.timeoutMs,
        idleTimeoutMs: a.idleTimeoutMs,
        approvalTimeoutMs: a.approvalTimeoutMs,
      }),
  };
}
