import { lstat, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../../src/recovery/ports.js';
import { checkConfigText, ConfigGuard, fingerprint, type ConfigKind } from '../../../../src/recovery/repair/config-guard.js';

const GOOD = `{
  // JSON5: comments and trailing commas are fine
  gateway: { mode: 'local', port: 18789, bind: 'loopback', auth: { mode: 'token', token: 'secret' }, },
}
`;
const GOOD2 = GOOD.replace('18789', '18790');

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let dir: string;
let configPath: string;
let now: number;

function guard(options: { kind?: ConfigKind; generations?: number } = {}): ConfigGuard {
  return new ConfigGuard({
    configPath,
    dataDir: join(dir, 'data'),
    kind: options.kind ?? 'openclaw',
    ...(options.generations !== undefined ? { generations: options.generations } : {}),
    clock: { now: () => now },
    log: silent,
  });
}

const snapshots = async () => (await readdir(join(dir, 'data', 'known-good'))).sort();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clawmedic-guard-'));
  configPath = join(dir, 'openclaw.json');
  now = Date.UTC(2026, 10, 24, 3, 0, 0);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkConfigText', () => {
  it.each([
    ['', 'the file is empty'],
    ['{ broken json, }', "not valid JSON5: invalid character 'j' at 1:10"],
    ['[1, 2]', 'expected an object at the top level, got an array'],
    ['{}', 'gateway: missing; the gateway refuses to start without gateway.mode = "local"'],
    ['{ gateway: 5 }', 'gateway: expected an object, got 5'],
    ['{ gateway: { port: 1 } }', 'gateway.mode: missing; the gateway refuses to start without it (set it to "local")'],
    ['{ gateway: { mode: "lan" } }', 'gateway.mode: expected "local" or "remote", got "lan"'],
    ['{ gateway: { mode: "local", port: "abc" } }', 'gateway.port: expected a number, got "abc"'],
    ['{ gateway: { mode: "local", port: 70000 } }', 'gateway.port: expected a whole number from 1 to 65535, got 70000'],
    ['{ gateway: { mode: "local", port: 80.5 } }', 'gateway.port: expected a whole number from 1 to 65535, got 80.5'],
    ['{ gateway: { port: "x" } }', 'gateway.mode: missing; the gateway refuses to start without it (set it to "local"); gateway.port: expected a number, got "x"'],
  ])('rejects %j for openclaw', (text, error) => {
    const check = checkConfigText(text, 'openclaw');
    expect({ ok: check.ok, error: check.error }).toEqual({ ok: false, error });
    // Only a config whose one problem is the missing mode can be fixed by setting it.
    expect(check.modeMissingOnly ?? false).toBe(text === '{ gateway: { port: 1 } }');
  });

  it('accepts JSON5 with a local or remote mode, with or without a port', () => {
    expect(checkConfigText(GOOD, 'openclaw')).toEqual({ ok: true, error: null });
    expect(checkConfigText('{"gateway":{"mode":"remote"}}', 'openclaw')).toEqual({ ok: true, error: null });
  });

  it('only wants an object for kind json', () => {
    expect(checkConfigText('{ a: 1 }', 'json').ok).toBe(true);
    expect(checkConfigText('"text"', 'json')).toEqual({ ok: false, error: 'expected an object at the top level, got "text"' });
  });
});

describe('ConfigGuard.validate', () => {
  it('names the file and what is wrong', async () => {
    expect(await guard().validate()).toEqual({ ok: false, error: `${configPath}: the file does not exist` });
    await writeFile(configPath, '{ gateway: { mode: "local", port: "abc" } }');
    expect(await guard().validate()).toEqual({ ok: false, error: `${configPath}: gateway.port: expected a number, got "abc"` });
    await writeFile(configPath, GOOD);
    expect(await guard().validate()).toEqual({ ok: true, error: null });
  });
});

describe('ConfigGuard.drift', () => {
  const BROKEN = '{ gateway: { mode: "local", port: ';
  const replace = async (text: string) => {
    // A person's editor: a new file renamed over the old one (a new inode, whatever the size and mtime).
    await writeFile(`${configPath}.tmp`, text);
    await rename(`${configPath}.tmp`, configPath);
  };

  it('while the gateway answers, the first look answers whatever the file holds; then only changes', async () => {
    await writeFile(configPath, BROKEN);
    const g = guard();
    expect((await g.drift(true))?.ok).toBe(false);
    expect(await g.drift(true)).toBeNull();
    await replace(GOOD);
    expect(await g.drift(true)).toEqual({ ok: true, error: null });
  });

  it('while it does not answer, the first look is only the baseline', async () => {
    await writeFile(configPath, BROKEN);
    const g = guard();
    expect(await g.drift(false)).toBeNull();
    await replace(GOOD);
    expect(await g.drift(false)).toEqual({ ok: true, error: null });
  });

  it('a fix written between a diagnosis and the first look is news, not the baseline (explorer, medic-crash seed 425)', async () => {
    // A medic restarted mid-incident diagnoses the broken file at once; a person fixes it a second later; the
    // probe loop's first look comes after that. Before, that look was taken as the baseline and the incident
    // waited for a person who had already acted.
    await writeFile(configPath, BROKEN);
    const g = guard();
    expect((await g.validate()).ok).toBe(false); // the diagnosis
    await replace(GOOD);
    expect(await g.drift(false)).toEqual({ ok: true, error: null });
    expect(await g.drift(false)).toBeNull();
  });

  it('a diagnosis of the file as it still is: the first look stays the baseline', async () => {
    await writeFile(configPath, BROKEN);
    const g = guard();
    await g.validate();
    expect(await g.drift(false)).toBeNull();
  });
});

describe('ConfigGuard.snapshot', () => {
  it('keeps nothing when nothing was captured or the capture is invalid', async () => {
    const g = guard();
    await g.capture(); // no file yet
    expect(await g.snapshot()).toBe(false);
    await writeFile(configPath, '{ gateway: {} }');
    await g.capture();
    expect(await g.snapshot()).toBe(false);
    expect(await g.latestGood()).toBeUndefined();
  });

  it('stores the captured text, not what is on disk later, with mode 0600', async () => {
    const g = guard();
    await writeFile(configPath, GOOD);
    await g.capture();
    await writeFile(configPath, '{ broken'); // hot edit while the gateway runs
    expect(await g.snapshot()).toBe(true);
    expect(await g.latestGood()).toBe(GOOD);
    const [name] = await snapshots();
    expect(name).toBe(`${String(now).padStart(15, '0')}.json`);
    expect((await stat(join(dir, 'data', 'known-good', name!))).mode & 0o777).toBe(0o600);
    expect(await g.differsFromDisk()).toBe(true);
  });

  it('keeps the proven content by its fingerprint: the capture, or the file on disk after a medic restart, never other text', async () => {
    await writeFile(configPath, GOOD);
    const g = guard();
    const proven = await g.capture();
    expect(proven).toBe(fingerprint(GOOD));
    // A new medic (nothing captured) keeps the file on disk when it is the proven content...
    expect(await guard().snapshot(proven)).toBe(true);
    expect(await g.latestGood()).toBe(GOOD);
    // ...and nothing when the file changed since (the proof is not for that text).
    await writeFile(configPath, GOOD2);
    expect(await guard().snapshot(fingerprint('{ gateway: { mode: "local", port: 1 } }'))).toBe(false);
    expect(await g.latestGood()).toBe(GOOD);
  });

  it('skips a capture equal to the newest generation and keeps only `generations` files', async () => {
    const g = guard({ generations: 3 });
    await writeFile(configPath, GOOD);
    await g.capture();
    expect(await g.snapshot()).toBe(true);
    expect(await g.snapshot()).toBe(false);
    expect(await g.differsFromDisk()).toBe(false);
    for (let port = 1; port <= 4; port += 1) {
      await writeFile(configPath, GOOD.replace('18789', String(port)));
      await g.capture();
      expect(await g.snapshot()).toBe(true); // same clock time: names still increase
    }
    const names = await snapshots();
    expect(names).toHaveLength(3);
    expect(await g.latestGood()).toBe(GOOD.replace('18789', '4'));
    expect(await readFile(join(dir, 'data', 'known-good', names[0]!), 'utf8')).toBe(GOOD.replace('18789', '2'));
  });
});

describe('ConfigGuard.restore', () => {
  it('fails without a known-good copy and leaves the file alone', async () => {
    await writeFile(configPath, '{ broken');
    expect(await guard().restore()).toEqual({ ok: false, detail: `no known-good copy of ${configPath} to restore` });
    expect(await readFile(configPath, 'utf8')).toBe('{ broken');
  });

  it('saves the broken file aside, writes the newest good copy and validates it', async () => {
    const g = guard();
    await writeFile(configPath, GOOD, { mode: 0o640 });
    await g.capture();
    await g.snapshot();
    await writeFile(configPath, '{ broken json');
    now += 60_000;
    const aside = `${configPath}.broken.2026-11-24T03:01:00.000Z`;
    expect(await g.restore()).toEqual({
      ok: true,
      detail: `restored ${configPath} from the known-good copy from 2026-11-24T03:00:00.000Z; kept the replaced file as ${aside}; it validates`,
    });
    expect(await readFile(configPath, 'utf8')).toBe(GOOD);
    expect(await readFile(aside, 'utf8')).toBe('{ broken json');
    expect((await stat(configPath)).mode & 0o777).toBe(0o640);
    // A second break at the same instant never overwrites the first copy.
    await writeFile(configPath, '{ broken again');
    expect((await g.restore()).detail).toContain(`kept the replaced file as ${aside}.1;`);
    expect(await readFile(aside, 'utf8')).toBe('{ broken json');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('writes a missing file back with mode 0600 and skips snapshots that no longer validate', async () => {
    const g = guard();
    await writeFile(configPath, GOOD);
    await g.capture();
    await g.snapshot();
    now += 1000;
    await writeFile(configPath, GOOD2);
    await g.capture();
    await g.snapshot();
    // Someone damaged the newest snapshot by hand.
    const names = await snapshots();
    await writeFile(join(dir, 'data', 'known-good', names[1]!), '{');
    await rm(configPath);
    const result = await g.restore();
    expect(result).toEqual({ ok: true, detail: `restored ${configPath} from the known-good copy from 2026-11-24T03:00:00.000Z; it validates` });
    expect(await readFile(configPath, 'utf8')).toBe(GOOD);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
  });

  it('restores through a symlinked config, which stays a symlink', async () => {
    const real = join(dir, 'real.json');
    await writeFile(real, GOOD);
    await symlink(real, configPath);
    const g = guard();
    await g.capture();
    await g.snapshot();
    await writeFile(real, '{ broken');
    expect((await g.restore()).ok).toBe(true);
    expect((await lstat(configPath)).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe(GOOD);
  });

  it('writes nothing when the file already equals the known-good copy', async () => {
    const g = guard();
    await writeFile(configPath, GOOD);
    await g.capture();
    await g.snapshot();
    expect(await g.restore()).toEqual({ ok: true, detail: `${configPath} already equals the known-good copy from 2026-11-24T03:00:00.000Z; nothing written` });
    expect((await readdir(dir)).filter((n) => n.includes('.broken.'))).toEqual([]);
  });
});
