import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';

/**
 * Secrets out of everything that leaves the host (logs, the API, Discord, the agent prompt):
 * known token shapes, and the actual secret values the medic knows.
 */

const PATTERNS: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g, // Anthropic keys
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style keys
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\b[MN][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}/g, // Discord bot tokens
  /https:\/\/(?:[a-z]+\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[A-Za-z0-9_-]+/g,
  /\b((?:Bearer|Bot|Basic)\s+)[A-Za-z0-9._~+/=-]{12,}/g, // Authorization headers (the scheme stays)
  // key=value and "key": "value" where the key names a secret (OPENCLAW_GATEWAY_TOKEN=..., "password": ...); the key stays
  /\b([\w-]*?(?:api[_-]?key|token|secret|password|passwd)["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
];

const MASK = '[REDACTED]';

export class Redactor {
  private values: string[] = [];

  /** `secrets`: actual values to mask wherever they appear (from .env, the gateway config...). */
  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** More values to mask from now on (a gateway config read later, a rotated token). */
  add(secrets: Iterable<string>): void {
    // Longest first so a secret that contains another is masked whole; short values would mask noise.
    this.values = [...new Set([...this.values, ...secrets])].filter((v) => v.length >= 6).sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.values) out = out.split(value).join(MASK);
    for (const re of PATTERNS) {
      // Patterns with a group keep it (the key and its separator) and mask what follows.
      out = out.replace(re, (_match, prefix: unknown) => (typeof prefix === 'string' ? `${prefix}${MASK}` : MASK));
    }
    return out;
  }
}

/** Values of env variables whose names say they are secret. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE/i.test(k))
    .map(([, v]) => v as string);
}

const SECRET_KEY = /token|secret|password|passwd|api[_-]?key|private[_-]?key|webhook|credential/i;

/** String values under secret-named keys anywhere in a parsed config (the gateway's auth token, channel tokens...). */
export function secretValuesFromDoc(doc: unknown, underSecret = false): string[] {
  if (typeof doc === 'string') return underSecret ? [doc] : [];
  if (Array.isArray(doc)) return doc.flatMap((v) => secretValuesFromDoc(v, underSecret));
  if (doc && typeof doc === 'object') {
    return Object.entries(doc).flatMap(([k, v]) => secretValuesFromDoc(v, underSecret || SECRET_KEY.test(k)));
  }
  return [];
}

/** The secret values of a JSON5 config file; none when it cannot be read or parsed (nothing to mask then). */
export async function secretValuesFromFile(path: string): Promise<string[]> {
  try {
    return secretValuesFromDoc(JSON5.parse(await readFile(path, 'utf8')));
  } catch {
    return [];
  }
}
