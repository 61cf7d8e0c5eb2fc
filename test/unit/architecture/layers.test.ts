/**
 * The layers (.dependency-cruiser.cjs) hold on src/, and every rule can fail: a small tree that
 * breaks each rule once is cruised with the same rules, and each rule must report its own break.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../../..');
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Cruises `src` under `cwd` with the project's rules; the violations found. */
async function cruise(cwd: string): Promise<Violation[]> {
  // depcruise exits non-zero when it finds violations; its JSON is on stdout either way.
  const out = await run(depcruise, ['src', '--config', config, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 }).catch(
    (err: { stdout?: string; stderr?: string }) => {
      if (!err.stdout) throw new Error(`depcruise failed: ${err.stderr ?? String(err)}`);
      return { stdout: err.stdout };
    },
  );
  return (JSON.parse(out.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const RULES = [
  'ladder-is-pure',
  'ladder-imports-only-pure-domain',
  'domain-knows-no-edges',
  'lib-is-a-kernel',
  'bot-knows-no-commands',
  'edges-do-not-know-each-other',
  'one-composition-root',
  'no-cycles-outside-the-ladder',
];

/** Each file breaks one rule (named in the key's comment); the rest are the modules they import. */
const BROKEN: Record<string, string> = {
  'src/recovery/ladder/reads-disk.ts': "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", // ladder-is-pure
  'src/recovery/ladder/spawns.ts': "import { b } from '../supervisor.js';\nexport const c = b;\n", // ladder-imports-only-pure-domain
  'src/recovery/supervisor.ts': 'export const b = 1;\n',
  'src/recovery/talks.ts': "import { d } from '../bot/card.js';\nexport const e = d;\n", // domain-knows-no-edges
  'src/bot/card.ts': 'export const d = 1;\n',
  'src/lib/knows-domain.ts': "import type { T } from '../recovery/types.js';\nexport type U = T;\n", // lib-is-a-kernel
  'src/recovery/types.ts': 'export type T = number;\n',
  'src/bot/answers.ts': "import { f } from '../commands/run.js';\nexport const g = f;\n", // bot-knows-no-commands
  'src/commands/run.ts': 'export const f = 1;\n',
  'src/store/draws.ts': "import { d } from '../bot/card.js';\nexport const h = d;\n", // edges-do-not-know-each-other
  'src/observe/starts.ts': "import { i } from '../main.js';\nexport const j = i;\n", // one-composition-root
  'src/main.ts': 'export const i = 1;\n',
  'src/notify/ping.ts': "import { l } from './pong.js';\nexport const k = (): number => l();\n", // no-cycles-outside-the-ladder
  'src/notify/pong.ts': "import { k } from './ping.js';\nexport const l = (): number => k();\n",
};

const scratch = mkdtempSync(join(tmpdir(), 'clawmedic-layers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('layers', () => {
  it('src/ keeps every rule', async () => {
    const found = await cruise(root);
    expect(found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 120_000);

  it('each rule reports a tree that breaks it', async () => {
    for (const [file, text] of Object.entries(BROKEN)) {
      mkdirSync(dirname(join(scratch, file)), { recursive: true });
      writeFileSync(join(scratch, file), text);
    }
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
    const found = await cruise(scratch);
    const rules = new Set(found.map((v) => v.rule.name));
    expect([...rules].sort()).toEqual([...RULES].sort());
    // Each break is reported where it was made, not somewhere else.
    expect(found.find((v) => v.rule.name === 'ladder-is-pure')?.from).toBe('src/recovery/ladder/reads-disk.ts');
    expect(found.find((v) => v.rule.name === 'bot-knows-no-commands')?.from).toBe('src/bot/answers.ts');
    expect(found.find((v) => v.rule.name === 'one-composition-root')?.from).toBe('src/observe/starts.ts');
  }, 120_000);
});
