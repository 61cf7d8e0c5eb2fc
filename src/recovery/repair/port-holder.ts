/**
 * Who listens on a TCP port on loopback or the wildcard address. On Linux it reads
 * `/proc` directly (no dependency, no subprocess); elsewhere (macOS) it asks `lsof`.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { runCommand } from '../../lib/run-command.js';

export interface PortListener {
  /**
   * 0 when the socket belongs to a process whose `/proc` entries this user cannot read
   * (another user's); such a holder is never ours to stop.
   */
  pid: number;
  /** Its command line, trimmed to about 200 characters. */
  command: string;
}

const MAX_COMMAND = 200;

/** The port of an http(s) URL, with the scheme's default when it names none. */
export function portFromUrl(url: string): number {
  const u = new URL(url);
  if (u.port) return Number(u.port);
  if (u.protocol === 'https:' || u.protocol === 'wss:') return 443;
  if (u.protocol === 'http:' || u.protocol === 'ws:') return 80;
  throw new Error(`${url}: no port and no default port for scheme ${u.protocol}`);
}

/** The process listening on `port` (127.0.0.1, ::1, 0.0.0.0 or ::), or null when none does. */
export async function findPortHolder(port: number): Promise<PortListener | null> {
  return (await listPortHolders(port))[0] ?? null;
}

/** Every process holding a listening socket on `port` (a forked child can share its parent's), lowest pid first. */
export async function listPortHolders(port: number): Promise<PortListener[]> {
  const sockets = await listeningSockets(port);
  if (sockets === null) return listWithLsof(port);
  if (sockets.size === 0) return [];
  const pids = await pidsOwningSockets(new Set(sockets.keys()));
  if (pids.length === 0) {
    const uids = [...new Set(sockets.values())].join(', ');
    return [{ pid: 0, command: `unknown process of uid ${uids} (its /proc entries are not readable)` }];
  }
  return Promise.all(pids.map(async (pid) => ({ pid, command: await commandOf(pid) })));
}

/** Whether anything listens on `port`; cheaper than `listPortHolders` (no scan of every process). */
export async function isPortListening(port: number): Promise<boolean> {
  const sockets = await listeningSockets(port);
  return sockets === null ? (await listWithLsof(port)).length > 0 : sockets.size > 0;
}

/** The inodes of the listening sockets on `port` (loopback or wildcard); null when /proc/net is absent (not Linux). */
export async function listenerInodes(port: number): Promise<Set<string> | null> {
  const sockets = await listeningSockets(port);
  return sockets === null ? null : new Set(sockets.keys());
}

/** Whether `pid` has one of these sockets open (false when it is gone or its fds are not readable). */
export async function holdsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  return (await socketFdOf(pid, inodes)) !== null;
}

/**
 * Where `pid` holds one of these sockets: its fd's path under /proc and what that link reads (`socket:[inode]`);
 * null when it holds none (or is gone, or its fds are not readable). `holdsSocketAt` checks it again in one read.
 */
export async function socketFdOf(pid: number, inodes: Set<string>): Promise<SocketFd | null> {
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const path = `/proc/${pid}/fd/${fd}`;
    const link = await readlink(path).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] && inodes.has(m[1])) return { path, link };
  }
  return null;
}

export interface SocketFd {
  path: string;
  link: string;
}

/** Whether the fd still holds the same socket (one readlink: an fd closed or reused for anything else reads otherwise). */
export function holdsSocketAt(fd: SocketFd): boolean {
  try {
    return readlinkSync(fd.path) === fd.link;
  } catch {
    return false;
  }
}

/** Socket inode -> owner uid of each listener on `port`; null when /proc/net is absent (not Linux). */
async function listeningSockets(port: number): Promise<Map<string, number> | null> {
  // Read whole in one call: on a busy host the table holds thousands of sockets, and fs/promises' readFile of a
  // /proc file (size 0) reads it in many chunks, each a round trip. (The kernel builds the table on each read,
  // walking every socket of the host: 21 ms for 1,385 sockets on this project's machine.)
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map((p) => readProcTable(p));
  if (tables.every((t) => t === null)) return null;
  const sockets = new Map<string, number>();
  for (const table of tables) for (const s of parseListeners(table ?? '', port)) sockets.set(s.inode, s.uid);
  return sockets;
}

function readProcTable(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** LISTEN sockets on `port` at a loopback or wildcard address, from a /proc/net/tcp{,6} table. */
export function parseListeners(table: string, port: number): { inode: string; uid: number }[] {
  const found: { inode: string; uid: number }[] = [];
  // Only a line holding `:PORT ` (the kernel prints ports as 4 upper-case hex digits) can match: such lines
  // are found with indexOf, so a table of thousands of other sockets is not split and parsed line by line.
  const needle = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  let parsedTo = -1;
  for (let at = table.indexOf(needle); at !== -1; at = table.indexOf(needle, at + 1)) {
    const start = table.lastIndexOf('\n', at) + 1;
    if (start === 0 || start <= parsedTo) continue; // the header, or a line already parsed
    const newline = table.indexOf('\n', at);
    const end = newline === -1 ? table.length : newline;
    parsedTo = end;
    const f = table.slice(start, end).trim().split(/\s+/);
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    if (f[3] !== '0A' || !addrHex || !portHex || parseInt(portHex, 16) !== port) continue;
    if (!isLoopbackOrAny(addrHex)) continue;
    const inode = f[9];
    if (inode && inode !== '0') found.push({ inode, uid: Number(f[7]) });
  }
  return found;
}

/** The kernel prints each 32-bit word of the address in host (little-endian) order. */
function isLoopbackOrAny(hex: string): boolean {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8).match(/../g) ?? [];
    bytes.push(...word.reverse().map((b) => parseInt(b, 16)));
  }
  const v4 = (b: number[]) => b.every((x) => x === 0) || b[0] === 127;
  if (bytes.length === 4) return v4(bytes);
  const head = bytes.slice(0, 10);
  if (!head.every((x) => x === 0)) return false;
  const tail = bytes.slice(10);
  if (tail[0] === 0xff && tail[1] === 0xff) return v4(tail.slice(2)); // ::ffff:a.b.c.d
  return tail.slice(0, 5).every((x) => x === 0) && (tail[5] === 0 || tail[5] === 1); // :: or ::1
}

async function pidsOwningSockets(inodes: Set<string>): Promise<number[]> {
  const entries = (await readdir('/proc').catch(() => [] as string[])).filter((e) => /^\d+$/.test(e));
  const found = await Promise.all(entries.map(async (pid) => ((await holdsSocket(Number(pid), inodes)) ? Number(pid) : null)));
  return found.filter((pid): pid is number => pid !== null).sort((a, b) => a - b);
}

async function commandOf(pid: number): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  let command = raw.split('\0').filter(Boolean).join(' ').trim();
  if (!command) command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
  return trimCommand(command);
}

/** The `lsof` path, for systems without /proc (macOS). */
export async function listWithLsof(port: number): Promise<PortListener[]> {
  const r = await runCommand(`lsof -nP -iTCP:${Math.trunc(port)} -sTCP:LISTEN -Fpc`, { timeoutMs: 5000 });
  if (r.spawnError || r.timedOut) throw new Error(`lsof failed: ${r.spawnError ?? 'timed out'}`);
  // lsof exits 1 when nothing matches; anything it printed is still the answer.
  const pids = [...r.output.matchAll(/^p(\d+)$/gm)].map((m) => Number(m[1]));
  const unique = [...new Set(pids)].sort((a, b) => a - b);
  return Promise.all(
    unique.map(async (pid) => {
      const ps = await runCommand(`ps -o command= -p ${pid}`, { timeoutMs: 5000 });
      const fromLsof = new RegExp(`^p${pid}\\n(?:[^p\\n].*\\n)*?c(.*)$`, 'm').exec(r.output)?.[1];
      return { pid, command: trimCommand(ps.code === 0 && ps.output.trim() ? ps.output : (fromLsof ?? '?')) };
    }),
  );
}

/** The process group of `pid`, or null when the process is gone. */
export async function processGroupOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat !== null) {
    // `pid (comm) state ppid pgrp ...`; comm may itself hold spaces and parentheses.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    return Number.isInteger(pgrp) ? pgrp : null;
  }
  const ps = await runCommand(`ps -o pgid= -p ${Math.trunc(pid)}`, { timeoutMs: 5000 });
  const pgid = Number(ps.output.trim());
  return ps.code === 0 && Number.isInteger(pgid) && pgid > 0 ? pgid : null;
}

/** The real uid `pid` runs as, or null when it is gone or there is no /proc (macOS). */
export async function uidOf(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const uid = status === null ? NaN : Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  return Number.isInteger(uid) ? uid : null;
}

function trimCommand(command: string): string {
  const one = command.replace(/\s+/g, ' ').trim();
  return one.length > MAX_COMMAND ? `${one.slice(0, MAX_COMMAND - 3)}...` : one;
}
