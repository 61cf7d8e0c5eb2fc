/** The one executable lookup: paths as given, bare names through the directories in order. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable, isExecutableFile, pathEntries } from '../../../src/lib/executable.js';

const root = mkdtempSync(join(tmpdir(), 'clawmedic-exec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, mode: number): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
}

const first = file(join(root, 'a', 'tool'), 0o755);
const second = file(join(root, 'b', 'tool'), 0o755);
const plain = file(join(root, 'c', 'tool'), 0o644);
mkdirSync(join(root, 'd', 'tool'), { recursive: true });

describe('findExecutable', () => {
  it('takes the first directory that holds an executable file of that name', () => {
    expect(findExecutable('tool', [join(root, 'c'), join(root, 'd'), join(root, 'a'), join(root, 'b')])).toBe(first);
    expect(findExecutable('tool', [join(root, 'b'), join(root, 'a')])).toBe(second);
  });

  it('finds nothing when only a non-executable file or a directory has the name', () => {
    expect(findExecutable('tool', [join(root, 'c'), join(root, 'd')])).toBeNull();
    expect(findExecutable('tool', [])).toBeNull();
    expect(findExecutable('', [join(root, 'a')])).toBeNull();
  });

  it('takes a name with a slash as a path, relative to cwd, without searching', () => {
    expect(findExecutable('a/tool', [join(root, 'b')], root)).toBe(first);
    expect(findExecutable(first, [])).toBe(first);
    expect(findExecutable('c/tool', [join(root, 'a')], root)).toBeNull();
  });

  it('reads an empty PATH entry as the current directory, and a relative one against cwd', () => {
    expect(findExecutable('tool', pathEntries(`:${join(root, 'b')}`, true), join(root, 'a'))).toBe(first);
    expect(findExecutable('tool', pathEntries(`:${join(root, 'b')}`), join(root, 'a'))).toBe(second);
    expect(findExecutable('tool', ['a'], root)).toBe(first);
  });

  it('isExecutableFile refuses directories and files without x', () => {
    expect([first, plain, join(root, 'd', 'tool'), join(root, 'missing')].map(isExecutableFile)).toEqual([true, false, false, false]);
  });
});
