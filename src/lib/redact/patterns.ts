/**
 * Shapes of secrets the medic masks even when it does not know the value: provider keys and
 * tokens, webhook URLs, authorization headers, `key=value` where the key names a secret.
 * A pattern with a group named `s` masks only that group (the key, the scheme stay readable);
 * otherwise it masks the whole match.
 */

export interface SecretPattern {
  /** What the shape is, as a person reads it ("a token=… value"). */
  name: string;
  /** Global, with indices (`gd`). */
  re: RegExp;
  /** Lower-case strings of which the text must hold one for the pattern to match: most lines are skipped at that cost. */
  needs?: readonly string[];
}

const p = (name: string, source: string, flags = '', needs?: string[]): SecretPattern => ({
  name,
  re: new RegExp(source, `gd${flags}`),
  ...(needs ? { needs } : {}),
});

/** Characters of a `key=value` value: up to whitespace, a quote, a comma or a closing brace. */
const VALUE = `[^\\s"',}]`;
/** A value that is only digits (a count, a pid, a timestamp) is not taken for a secret. */
const NOT_A_NUMBER = `(?!\\d+(?:[\\s"',}]|$))`;
/** Key names that say their value is a secret, as the end of the key (`OPENCLAW_GATEWAY_TOKEN`, `apiKey`, `client_secret`). */
const SECRET_WORD = `(?:api[_-]?key|token|secret|password|passwd|passphrase|private[_-]?key|access[_-]?key|credentials?|cookie)`;

export const PATTERNS: readonly SecretPattern[] = [
  p('an Anthropic key', `sk-ant-[A-Za-z0-9_-]{8,}`, '', ['sk-ant-']),
  p('an API key (sk-…)', `\\bsk-[A-Za-z0-9_-]{16,}`, '', ['sk-']),
  p('a GitHub token', `\\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\\bgithub_pat_[A-Za-z0-9_]{20,}`, '', ['gh', 'github_pat_']),
  // The first part is the bot's id in base64: ids of today start MT…, Mj…, ND…, OD…, OT…
  p('a Discord token', `\\b[MNO][A-Za-z0-9_-]{20,30}\\.[A-Za-z0-9_-]{5,7}\\.[A-Za-z0-9_-]{25,}`),
  p('a Discord webhook URL', `https?://(?:[a-z]+\\.)?discord(?:app)?\\.com/api/(?:v\\d+/)?webhooks/\\d+/[A-Za-z0-9_-]+`, '', ['webhooks']),
  p('a Telegram bot token', `(?<![0-9])\\d{6,12}:AA[A-Za-z0-9_-]{30,}`, '', [':aa']),
  p('a Slack token', `\\bxox[abposre]-[A-Za-z0-9-]{10,}|\\bxapp-[A-Za-z0-9-]{10,}`, '', ['xox', 'xapp-']),
  p('a Slack webhook URL', `(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+`, '', ['hooks.slack.com']),
  p('an AWS access key id', `\\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\\b`, '', ['akia', 'asia', 'abia', 'acca']),
  p('a Google API key', `\\bAIza[0-9A-Za-z_-]{30,}`, '', ['aiza']),
  p('a JSON web token', `\\beyJ[A-Za-z0-9_-]{5,}\\.eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*`, '', ['eyj']),
  // Up to its END line, or to the end of the text when the END is not in it (a cut or wrapped dump).
  // (Not past a quote: inside JSON text the key ends with its string.)
  p('a private key', `(?<pre>-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----)(?<s>[^"]+?)(?=-----END[A-Z0-9 ]*PRIVATE KEY-----|"|$)`, '', ['private key']),
  // A line of a PEM body seen on its own: exactly 64 base64 characters, mixed case and digits (a hex hash has no capitals).
  p('a line of a private key', `^(?=[^\\n]*[A-Z])(?=[^\\n]*[a-z])(?=[^\\n]*[0-9])[ \\t]*[A-Za-z0-9+/]{64}[ \\t]*$`, 'm'),
  p('a password in a URL', `\\b(?<pre>[a-z][a-z0-9+.-]*://[^\\s:/@"']*:)(?<s>[^\\s/@"']+)(?=@)`, 'i', ['://']),
  p('an authorization header', `\\b(?<pre>[Bb][Ee][Aa][Rr][Ee][Rr]\\s+|(?:Bot|Basic|Token|Digest)\\s+)(?<s>[A-Za-z0-9._~+/=-]{12,})`, '', ['bearer', 'bot', 'basic', 'token', 'digest']),
  p(
    'an authorization header',
    `\\b(?<pre>(?:proxy-)?authorization["']?\\s*[:=]\\s*["']?)(?!(?:bearer|bot|basic|token|digest)\\s)(?<s>${VALUE}{8,})`,
    'i',
    ['authorization'],
  ),
  p('a key=value secret', `(?<pre>\\b[\\w-]*?${SECRET_WORD}["']?\\s*[:=]\\s*["']?)${NOT_A_NUMBER}(?<s>${VALUE}{6,})`, 'i', ['key', 'token', 'secret', 'passw', 'passphrase', 'credential', 'cookie']),
  // `auth` alone is a common word ("auth: ok"): only a value with a digit, 8 characters or more.
  p('a key=value secret', `(?<pre>\\bauth["']?\\s*[:=]\\s*["']?)(?<s>(?=${VALUE}*\\d)${VALUE}{8,})`, 'i', ['auth']),
  p('a --token value', `(?<pre>--[\\w-]*(?:token|password|passwd|secret|api-?key)\\s+)(?<s>(?!-)[^\\s"']{6,})`, 'i', ['--']),
];
