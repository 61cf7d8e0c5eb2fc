/**
 * The AI agent's transcripts of an incident, as the session runner saved them
 * (`<dataDir>/agent/transcripts/<incident>-agent-<run>.txt`, already redacted when written):
 * redacted again on the way out, in case a secret became known after they were saved.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Transcript {
  run: number;
  lines: string[];
  /** The file held more than the page is sent; only its last part is shown. */
  truncated: boolean;
}

/** The part of a transcript the page gets at most. */
const MAX_BYTES = 512 * 1024;

export async function readTranscripts(dir: string | null, incidentId: string, redact: (text: string) => string): Promise<Transcript[]> {
  if (!dir) return [];
  const names = await readdir(dir).catch(() => [] as string[]);
  const prefix = `${incidentId}-agent-`;
  const runs = names
    .filter((n) => n.startsWith(prefix) && /^\d+\.txt$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length, -'.txt'.length)))
    .sort((a, b) => a - b);
  const out: Transcript[] = [];
  for (const run of runs) {
    const file = join(dir, `${prefix}${run}.txt`);
    const size = (await stat(file).catch(() => null))?.size ?? 0;
    let text = await readFile(file, 'utf8').catch(() => '');
    const truncated = size > MAX_BYTES;
    if (truncated) text = text.slice(-MAX_BYTES).replace(/^[^\n]*\n/, '');
    out.push({ run, lines: redact(text.replace(/\n$/, '')).split('\n'), truncated });
  }
  return out;
}
