import { describe, expect, it } from 'vitest';
import { LineRingBuffer } from '../../../src/lib/ring-buffer.js';

describe('LineRingBuffer', () => {
  it('joins a line split across chunks and shows a partial line last', () => {
    const buffer = new LineRingBuffer(10);
    buffer.push('[gateway] lis');
    buffer.push('tening on 127.0.0.1:18789\nGateway fai');
    expect(buffer.lines()).toEqual(['[gateway] listening on 127.0.0.1:18789', 'Gateway fai']);
    buffer.push('led\n');
    expect(buffer.lines()).toEqual(['[gateway] listening on 127.0.0.1:18789', 'Gateway failed']);
    expect(buffer.total).toBe(2);
  });

  it('keeps only the last `capacity` lines, oldest first', () => {
    const buffer = new LineRingBuffer(3);
    buffer.push('1\n2\n3\n4\n5\n');
    expect(buffer.lines()).toEqual(['3', '4', '5']);
    buffer.push('6\n');
    expect(buffer.lines()).toEqual(['4', '5', '6']);
    expect(buffer.lines(2)).toEqual(['5', '6']);
    expect(buffer.lines(0)).toEqual([]);
    expect(buffer.total).toBe(6);
  });

  it('keeps empty lines and drops the \\r of CRLF endings', () => {
    const buffer = new LineRingBuffer(5);
    buffer.push('a\r\n\r\nb\r');
    buffer.push('\n');
    expect(buffer.lines()).toEqual(['a', '', 'b']);
  });

  it('cuts a runaway line at maxLineLength and marks it, across chunks too', () => {
    const buffer = new LineRingBuffer(5, 10);
    buffer.push('0123456');
    buffer.push('789abcdef');
    buffer.push('ghij\nnext\n');
    expect(buffer.lines()).toEqual(['0123456789 …[truncated]', 'next']);
  });

  it('returns only the lines after a mark, with the partial line', () => {
    const buffer = new LineRingBuffer(4);
    buffer.push('old EADDRINUSE\n');
    const mark = buffer.total;
    expect(buffer.linesSince(mark)).toEqual([]);
    buffer.push('new 1\nnew 2\npart');
    expect(buffer.linesSince(mark)).toEqual(['new 1', 'new 2', 'part']);
    buffer.push('\n5\n6\n7\n');
    // More new lines than the capacity: only those still kept.
    expect(buffer.linesSince(mark)).toEqual(['part', '5', '6', '7']);
  });

  it('commits a partial line on flush, and clears', () => {
    const buffer = new LineRingBuffer(4);
    buffer.push('no newline');
    buffer.flush();
    buffer.flush();
    expect(buffer.lines()).toEqual(['no newline']);
    expect(buffer.total).toBe(1);
    buffer.clear();
    expect(buffer.lines()).toEqual([]);
  });

  it('rejects a capacity below one', () => {
    expect(() => new LineRingBuffer(0)).toThrow(RangeError);
    expect(() => new LineRingBuffer(2, 0)).toThrow(RangeError);
  });
});
