/** Small error classes with structured fields; branch on `instanceof`, never on message text. */

/** The configuration is invalid; `problems` lists each one with how to fix it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The gateway could not be spawned or restarted. */
export class GatewayStartError extends Error {
  override readonly name = 'GatewayStartError';
  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown; permanent?: boolean },
  ) {
    super(message, options);
    this.permanent = options?.permanent ?? false;
  }

  /** Trying again cannot help (nothing configured to start it with): no blind retries. */
  readonly permanent: boolean;
}

/** An operator request the ladder cannot take now (busy, unknown target, level not available). */
export class RequestRejectedError extends Error {
  override readonly name = 'RequestRejectedError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 409,
  ) {
    super(message);
  }
}

/**
 * Why an AI agent session is stopped when the medic itself stops: the session is suspended, not over
 * (the agent's own session records are kept, and the next medic resumes it).
 */
export class MedicStoppingError extends Error {
  override readonly name = 'MedicStoppingError';
}
