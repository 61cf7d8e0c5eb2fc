/**
 * Once per run, before the tests:
 * - builds dist/ (end-to-end tests run the real `clawmedic` command as a child process); a failed
 *   build does not stop the unit tests, the e2e tests then fail, saying why;
 * - installs the Claude Code CLI versions the real-CLI tests run against (scripts/install-claude-code.mjs,
 *   cached under ~/.cache/clawmedic): `CLAWMEDIC_CLAUDE_VERSIONS` (comma-separated pinned, newest,
 *   latest or versions), default "pinned,newest". A failed install is handed on with its reason, so
 *   those tests fail rather than skip.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { installClaudeCode, type ClaudeCli } from './fixtures/claude-install.js';

export default function setup(project: TestProject): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { encoding: 'utf8' });
  // The dashboard's page and assets go next to the compiled code, as `npm run build` does.
  if (r.status === 0) spawnSync(process.execPath, ['scripts/copy-dashboard-assets.mjs'], { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync('dist/cli.js', { force: true });
    process.stderr.write(`\n[global-setup] tsc build failed; e2e tests will fail:\n${r.stdout}${r.stderr}\n`);
  }
  const wanted = (process.env.CLAWMEDIC_CLAUDE_VERSIONS ?? 'pinned,newest').split(',').map((v) => v.trim()).filter(Boolean);
  const clis: ClaudeCli[] = [];
  for (const which of wanted) {
    const cli = installClaudeCode(which);
    if (!clis.some((c) => c.bin && c.bin === cli.bin)) clis.push(cli);
  }
  project.provide('claudeClis', clis);
}
