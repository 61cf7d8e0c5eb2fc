/** `clawmedic demo` keeps its files in a fresh private directory, never at a fixed /tmp path. */
import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo.js';

const cleanup: string[] = [];
afterEach(() => {
  for (const p of cleanup.splice(0)) rmSync(p, { recursive: true, force: true });
});

describe('runDemo', () => {
  it('does not follow a symlink planted at the old fixed path; its data dir is new and 0700', async () => {
    const planted = join(tmpdir(), `clawmedic-demo-${process.getuid?.() ?? 'user'}`);
    const victim = mkdtempSync(join(tmpdir(), 'clawmedic-victim-'));
    cleanup.push(victim);
    // Plant only when the path is free (never disturb a real demo's directory).
    const mine = !lstatSafe(planted);
    if (mine) {
      symlinkSync(victim, planted);
      cleanup.push(planted);
    }
    const seen: NodeJS.ProcessEnv[] = [];
    const log = console.log;
    console.log = () => {};
    try {
      expect(await runDemo({ PATH: process.env.PATH }, async (env) => (seen.push(env), 0))).toBe(0);
    } finally {
      console.log = log;
    }
    const dataDir = seen[0]!.MEDIC_DATA_DIR!;
    cleanup.push(dataDir);
    expect(dataDir).not.toBe(planted);
    expect(dataDir.startsWith(join(tmpdir(), 'clawmedic-demo-'))).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir)).toEqual(['demo-gateway.json']);
    expect(readdirSync(victim)).toEqual([]);
    // A second run gets a directory of its own.
    console.log = () => {};
    try {
      await runDemo({ PATH: process.env.PATH }, async (env) => (seen.push(env), 0));
    } finally {
      console.log = log;
    }
    cleanup.push(seen[1]!.MEDIC_DATA_DIR!);
    expect(seen[1]!.MEDIC_DATA_DIR).not.toBe(dataDir);
  });
});

function lstatSafe(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
