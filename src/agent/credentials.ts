/**
 * Which credential level 3 gives Claude Code. Exactly one is passed on (the first set, in this
 * order), so what `clawmedic check-config` reports is what the CLI uses. Measured on 2.1.197 and
 * 2.1.332 against a local Messages API: an API key goes out as `x-api-key`; an auth token and a
 * subscription token (`claude setup-token`) as `Authorization: Bearer`, the latter with the
 * `oauth-2025-04-20` beta. All three are secrets (their names match the redactor's rule).
 */

export const CREDENTIAL_VARS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'] as const;
export type CredentialVar = (typeof CREDENTIAL_VARS)[number];

const WHAT: Record<CredentialVar, string> = {
  ANTHROPIC_API_KEY: 'an Anthropic API key',
  ANTHROPIC_AUTH_TOKEN: 'a bearer token for an API gateway',
  CLAUDE_CODE_OAUTH_TOKEN: 'a Claude subscription token (claude setup-token)',
};

/** The credential variable level 3 will use, or null when none is set. */
export function agentCredential(env: NodeJS.ProcessEnv): CredentialVar | null {
  return CREDENTIAL_VARS.find((name) => Boolean(env[name]?.trim())) ?? null;
}

/** "CLAUDE_CODE_OAUTH_TOKEN (a Claude subscription token (claude setup-token))". */
export function describeCredential(name: CredentialVar): string {
  return `${name} (${WHAT[name]})`;
}

/** For error messages: "ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or CLAUDE_CODE_OAUTH_TOKEN". */
export const CREDENTIAL_CHOICES = `${CREDENTIAL_VARS.slice(0, -1).join(', ')} or ${CREDENTIAL_VARS.at(-1)}`;
