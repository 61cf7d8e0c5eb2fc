/**
 * Variables that look like clawmedic's but are not: a near miss of a known name (GATEWAY_HEALT_URL,
 * DISCORD_TOKN) is almost always a typo that would otherwise pass silently, the setting falling
 * back to its default.
 */

/** Names clawmedic reads besides its settings tables. */
const ALSO_KNOWN = ['MEDIC_ENV_FILE'];

/** Edit distance (insertions, deletions, substitutions), stopping early past `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...row) > max) return max + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name `name` is a near miss of, or null (exact names and far ones are not typos). */
export function nearMiss(name: string, known: readonly string[]): string | null {
  const all = [...known, ...ALSO_KNOWN];
  if (all.includes(name)) return null;
  if (all.includes(`${name}_MS`)) return `${name}_MS`; // the unit left out
  const prefix = name.split('_')[0];
  let best: { name: string; d: number } | null = null;
  for (const k of all) {
    // Same first word (GATEWAY_, DISCORD_ …), or a typo in the first word itself.
    if (k.split('_')[0] !== prefix && distance(k, name, 2) > 1) continue;
    const d = distance(name, k, 2);
    if (d <= 2 && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name ?? null;
}

/** One problem per variable of `env` that is a near miss of a known name. */
export function typoProblems(env: NodeJS.ProcessEnv, known: readonly string[], where: (name: string) => string): string[] {
  return Object.keys(env)
    .filter((name) => /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(name))
    .map((name) => ({ name, near: nearMiss(name, known) }))
    .filter((x): x is { name: string; near: string } => x.near !== null)
    .map(({ name, near }) => `${name} is not a clawmedic variable: did you mean ${near}? (set in ${where(name)}; see .env.example)`);
}
