import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogTail } from '../../../src/lib/log-tail.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'clawmedic-tail-'));
  path = join(dir, 'gateway.log');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LogTail', () => {
  it('reads a missing file as empty, then follows it as it grows', () => {
    const tail = new LogTail({ path, lines: 10 });
    expect(tail.lines()).toEqual([]);
    writeFileSync(path, 'one\ntw');
    expect(tail.lines()).toEqual(['one', 'tw']);
    appendFileSync(path, 'o\nthree\n');
    expect(tail.lines()).toEqual(['one', 'two', 'three']);
  });

  it('backfills only the end of an existing file, without a torn first line', () => {
    writeFileSync(path, 'aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\n');
    expect(new LogTail({ path, lines: 10, backfillBytes: 15 }).lines()).toEqual(['cccccccccc']);
    // Landing exactly on a line start keeps that line.
    expect(new LogTail({ path, lines: 10, backfillBytes: 22 }).lines()).toEqual(['bbbbbbbbbb', 'cccccccccc']);
  });

  it('starts over on a rotated or truncated file', () => {
    const tail = new LogTail({ path, lines: 10 });
    writeFileSync(path, 'first run\npartial');
    tail.read();
    renameSync(path, `${path}.1`);
    writeFileSync(path, 'second run\n');
    expect(tail.lines()).toEqual(['first run', 'partial', 'second run']);
    truncateSync(path, 0);
    appendFileSync(path, 'third\n');
    expect(tail.lines(1)).toEqual(['third']);
  });

  it('skips ahead when more than maxReadBytes arrived at once', () => {
    const tail = new LogTail({ path, lines: 100, maxReadBytes: 20 });
    tail.read();
    writeFileSync(path, `${'0123456789\n'.repeat(50)}last\n`);
    expect(tail.lines()).toEqual(['0123456789', 'last']);
  });

  it('decodes a multibyte character split between two reads', () => {
    const tail = new LogTail({ path, lines: 10 });
    const bytes = Buffer.from('café ✓\n', 'utf8');
    writeFileSync(path, bytes.subarray(0, 5));
    tail.read();
    appendFileSync(path, bytes.subarray(5));
    expect(tail.lines()).toEqual(['café ✓']);
  });

  it('marks where a run began so older lines can be left out', () => {
    const tail = new LogTail({ path, lines: 10 });
    writeFileSync(path, 'old EADDRINUSE\n');
    tail.read();
    const mark = tail.mark;
    appendFileSync(path, 'new line\n');
    expect(tail.linesSince(mark)).toEqual(['new line']);
  });
});
