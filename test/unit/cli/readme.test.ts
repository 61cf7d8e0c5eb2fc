/** The README's command list is `clawmedic --help`'s, line for line. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, renderHelp } from '../../../src/cli/commands.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function readmeCommandList(): string[] {
  const section = README.slice(README.indexOf('## The `clawmedic` command'));
  const block = /```\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('README: no code block under "## The `clawmedic` command"');
  return block[1]!.split('\n');
}

function helpCommandList(): string[] {
  const help = renderHelp();
  const usage = help.slice(help.indexOf('Usage:\n') + 'Usage:\n'.length);
  return usage.slice(0, usage.indexOf('\n\n')).split('\n').map((l) => l.slice(2));
}

describe('README', () => {
  it('lists the commands exactly as clawmedic --help does', () => {
    expect(readmeCommandList()).toEqual(helpCommandList());
  });

  it('lists every command, level 3 included', () => {
    const list = readmeCommandList().join('\n');
    for (const c of COMMANDS) expect(list).toContain(`clawmedic ${c.synopsis}`);
    expect(list).toMatch(/recover .*\n.*3 AI agent/);
  });
});
