/** Composition: level 3 (the AI agent) from the config, or none. */
import type { MedicConfig } from '../config.js';
import type { Logger } from '../recovery/ports.js';
import type { Redactor } from '../lib/redact.js';
import { agentAvailability, agentSetup, type AgentSetup } from '../agent/setup.js';

/** Level 3 from the config, or null (said once in the log) when it cannot run. */
export function defaultAgent(config: MedicConfig, env: NodeJS.ProcessEnv, redactor: Redactor, log: Logger): AgentSetup | null {
  const available = agentAvailability(config.agent, env);
  if (!available.enabled) {
    log.info(`level 3 (AI agent) is off: ${available.why}; the ladder goes from level 2 to a human`);
    return null;
  }
  log.info(`level 3 (AI agent) is on: ${available.command}, credential ${available.credential}`);
  return agentSetup(config, available.command, { env, redactor, log });
}

