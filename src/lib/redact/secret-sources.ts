/** Where the medic learns the secret values it masks: its environment and the gateway's config. */
import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';

/** Values of env variables whose names say they are secret. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE|ACCESS_KEY|CREDENTIAL|WEBHOOK|COOKIE|(?:^|_)DSN$/i.test(k))
    .flatMap(([, v]) => withoutScheme(v as string));
}

/**
 * Keys whose value is a secret (at the end of the key: `botToken`, `apiKey`, `client_secret`,
 * `OPENAI_API_KEY`, `headers.Authorization`, `auth`, `key`), and every string nested under one.
 */
const SECRET_KEY = /(?:token|secret|password|passwd|passphrase|api[_-]?key|credentials?|webhook(?:[_-]?url)?|cookie|authorization|^auth|dsn)s?$/i;
const KEY_KEY = /(?:^|[_-])key$|[a-z0-9]Key$/i;
/** Under a secret key, these say how the secret is used, not what it is (`auth: { mode: "token" }`). */
const NOT_SECRET_LEAF = /^(?:mode|type|kind|scheme|strategy|provider|source|enabled|name|label|id|user|username|format|alg|algorithm|header|expires(?:at)?)$/i;

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || KEY_KEY.test(key);
}

/** String values under secret-named keys anywhere in a parsed config (the gateway's auth token, channel tokens, provider keys...). */
export function secretValuesFromDoc(doc: unknown, underSecret = false): string[] {
  if (typeof doc === 'string') return underSecret ? withoutScheme(doc) : [];
  if (Array.isArray(doc)) return doc.flatMap((v) => secretValuesFromDoc(v, underSecret));
  if (doc && typeof doc === 'object') {
    return Object.entries(doc).flatMap(([k, v]) => {
      const secret = isSecretKey(k) || (underSecret && !NOT_SECRET_LEAF.test(k));
      return secretValuesFromDoc(v, secret);
    });
  }
  return [];
}

/** The value, and for an authorization value ("Bearer abc…") the credential after its scheme too. */
function withoutScheme(value: string): string[] {
  const m = /^(?:Bearer|Bot|Basic|Token)\s+(\S+)$/i.exec(value);
  return m ? [value, m[1]!] : [value];
}

/** The secret values of a JSON5 config file; none when it cannot be read or parsed (nothing to mask then). */
export async function secretValuesFromFile(path: string): Promise<string[]> {
  try {
    return secretValuesFromText(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

/** The secret values of JSON5 config text; none when it does not parse. */
export function secretValuesFromText(text: string): string[] {
  try {
    return secretValuesFromDoc(JSON5.parse(text));
  } catch {
    return [];
  }
}
