/**
 * The gateway's memory from /proc: RSS (`/proc/<pid>/status` VmRSS, instant) and the heap limit
 * it runs with (`--max-old-space-size` on its command line or in its NODE_OPTIONS, else Node's
 * default for this machine). Linux only; elsewhere a sample is null.
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';

const MiB = 1024 * 1024;

/** VmRSS in bytes; null when the process is gone or /proc is not there. */
export async function readRssBytes(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const m = text?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) * 1024 : null;
}

/** `--max-old-space-size=N` (or `--max_old_space_size N`) in a command line or NODE_OPTIONS, in bytes. */
export function heapFlagBytes(text: string): number | null {
  const m = text.match(/--max[-_]old[-_]space[-_]size[=\s]+(\d+)/);
  return m ? Number(m[1]) * MiB : null;
}

/**
 * Node's default heap limit on a 64-bit machine: a quarter of the memory, at most 4 GiB of old
 * space, plus the young generation (4288 MiB measured here with 24 GiB).
 */
export function nodeDefaultHeapBytes(totalBytes = totalmem()): number {
  return Math.min(totalBytes / 4, 4096 * MiB) + 192 * MiB;
}

/** The heap limit of `pid`: its own flag, else Node's default; `configured` (MEMORY_LIMIT_MB) wins. */
export async function readHeapLimitBytes(pid: number, configured: number | null = null): Promise<number | null> {
  if (configured !== null) return configured;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline === null) return null;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  const nodeOptions = environ.split('\0').find((v) => v.startsWith('NODE_OPTIONS=')) ?? '';
  return heapFlagBytes(cmdline.replaceAll('\0', ' ')) ?? heapFlagBytes(nodeOptions) ?? nodeDefaultHeapBytes();
}

/**
 * The plugins the gateway says it loaded, from its own line (`… 15 plugins: memory-core, telegram, … `);
 * the latest such line wins. Null: none seen.
 */
export function pluginsIn(lines: readonly string[]): string[] | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = lines[i]!.match(/\b\d+ plugins?: ([^()\n]+?)(?:\)|$|;|\s{2})/);
    if (m) return m[1]!.split(',').map((p) => p.trim().replace(/[.…]+$/, '')).filter(Boolean);
  }
  return null;
}

/**
 * What the gateway holds besides its heap, from OpenClaw's own line (`[diagnostics/memory] memory pressure: …
 * rssBytes=1864581120 heapUsedBytes=1315223408 …`), the latest one; null: none logged.
 */
export function nonHeapIn(lines: readonly string[]): number | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = lines[i]!.match(/rssBytes=(\d+)\s+heapUsedBytes=(\d+)/);
    if (m) return Math.max(0, Number(m[1]) - Number(m[2]));
  }
  return null;
}
