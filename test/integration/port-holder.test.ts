import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findPortHolder,
  listPortHolders,
  listWithLsof,
  parseListeners,
  portFromUrl,
  processGroupOf,
} from '../../src/recovery/repair/port-holder.js';

const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A real listener in a child process; resolves once it listens. */
async function listen(port: number, host = '127.0.0.1', detached = false): Promise<ChildProcess> {
  const script = `require('http').createServer().listen(${port}, '${host}', () => console.log('ready'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached });
  children.push(child);
  await once(child.stdout!, 'data');
  return child;
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

describe('findPortHolder', () => {
  it('finds the pid and command line of a process listening on 127.0.0.1', async () => {
    const port = await freePort();
    const child = await listen(port);
    const holder = await findPortHolder(port);
    expect(holder?.pid).toBe(child.pid);
    expect(holder?.command).toContain(`createServer().listen(${port}, '127.0.0.1'`);
    expect(holder?.command.startsWith(process.execPath)).toBe(true);
  });

  it('finds a listener on ::1', async () => {
    const port = await freePort();
    const child = await listen(port, '::1');
    expect((await findPortHolder(port))?.pid).toBe(child.pid);
  });

  it('gives null for a free port', async () => {
    expect(await findPortHolder(await freePort())).toBeNull();
    expect(await listPortHolders(await freePort())).toEqual([]);
  });

  it('reads the process group: a detached child leads its own, an attached one shares ours', async () => {
    const detached = await listen(await freePort(), '127.0.0.1', true);
    const attached = await listen(await freePort());
    expect(await processGroupOf(detached.pid!)).toBe(detached.pid);
    const ours = await processGroupOf(process.pid);
    expect(ours).not.toBe(detached.pid);
    expect(await processGroupOf(attached.pid!)).toBe(ours);
  });
});

describe('listWithLsof (the path for systems without /proc)', () => {
  it.skipIf(spawnSync('lsof', ['-v']).error !== undefined)('finds the same listener', async () => {
    const port = await freePort();
    const child = await listen(port);
    const holders = await listWithLsof(port);
    expect(holders.map((h) => h.pid)).toEqual([child.pid]);
    expect(holders[0]?.command).toContain('createServer');
    expect(await listWithLsof(await freePort())).toEqual([]);
  });
});

describe('parseListeners', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const row = (addr: string, st: string, inode: string) =>
    `   0: ${addr}:4A4B 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0 100 0 0 10 0\n`;

  it('keeps LISTEN sockets on loopback or any address, on the port', () => {
    const table = header + row('0100007F', '0A', '11') + row('00000000', '0A', '12') + row('0501A8C0', '0A', '13') + row('0100007F', '01', '14');
    expect(parseListeners(table, 0x4a4b)).toEqual([
      { inode: '11', uid: 1000 },
      { inode: '12', uid: 1000 },
    ]);
    expect(parseListeners(table, 80)).toEqual([]);
  });

  it('reads IPv6 ::1, :: and v4-mapped loopback', () => {
    const table =
      header +
      row('00000000000000000000000001000000', '0A', '21') +
      row('00000000000000000000000000000000', '0A', '22') +
      row('0000000000000000FFFF00000100007F', '0A', '23') +
      row('B80D0120000000000000000001000000', '0A', '24');
    expect(parseListeners(table, 0x4a4b).map((s) => s.inode)).toEqual(['21', '22', '23']);
  });

  it('among thousands of other sockets: only the port as the local one, once per line, the last line without a newline', () => {
    const other = (i: number) =>
      `${String(i).padStart(4)}: 0100007F:${(1000 + i).toString(16).toUpperCase().padStart(4, '0')} 0100007F:4A4B 01 00000000:00000000 00:00000000 00000000  1000        0 ${9000 + i} 1 0 100 0 0 10 0\n`;
    const many = Array.from({ length: 3000 }, (_, i) => other(i)).join('');
    // The port as the remote end (connections to it) must not count, nor the header; 4A4B twice on one line is one socket.
    const table = header + many + row('0100007F', '0A', '31') + many + `   0: 00000000:4A4B 00000000:4A4B 0A 00000000:00000000 00:00000000 00000000  1000        0 32 1 0 100 0 0 10 0`;
    expect(parseListeners(table, 0x4a4b)).toEqual([
      { inode: '31', uid: 1000 },
      { inode: '32', uid: 1000 },
    ]);
    expect(parseListeners(table, 1000 + 5).map((s) => s.inode)).toEqual([]); // in state 01 (ESTABLISHED), not LISTEN
  });
});

describe('portFromUrl', () => {
  it('uses the explicit port or the scheme default', () => {
    expect(portFromUrl('http://127.0.0.1:18789/healthz')).toBe(18789);
    expect(portFromUrl('http://localhost/healthz')).toBe(80);
    expect(portFromUrl('https://gw.example/healthz')).toBe(443);
  });
});
