/**
 * Follows a log file someone else writes (the gateway, through its own fd) and
 * keeps its last lines. Reading is on demand: the only readers are
 * `recentOutput()` and the exit hint, so a timer would only burn wake-ups.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LineRingBuffer } from './ring-buffer.js';

export interface LogTailOptions {
  path: string;
  /** Lines kept. */
  lines: number;
  /** Default 4096 characters. */
  maxLineLength?: number;
  /** On the first read of a file, start this far before its end. Default 64 KiB. */
  backfillBytes?: number;
  /** More new bytes than this in one read skips ahead: only the last lines are kept anyway. Default 1 MiB. */
  maxReadBytes?: number;
}

const ChunkBytes = 64 * 1024;

/** The last lines of a growing log file; survives rotation and truncation. */
export class LogTail {
  readonly path: string;
  private readonly buffer: LineRingBuffer;
  private readonly backfillBytes: number;
  private readonly maxReadBytes: number;
  private decoder = new StringDecoder('utf8');
  private inode: number | null = null;
  private offset = 0;
  /** Set after a jump into the middle of a file: the first partial line is dropped. */
  private skipToNewline = false;

  constructor(options: LogTailOptions) {
    this.path = options.path;
    this.buffer = new LineRingBuffer(options.lines, options.maxLineLength);
    this.backfillBytes = options.backfillBytes ?? 64 * 1024;
    this.maxReadBytes = options.maxReadBytes ?? 1024 * 1024;
  }

  /** Lines seen so far: pass it to `linesSince` to read only what came after. */
  get mark(): number {
    return this.buffer.total;
  }

  /** Reads what was appended since the last call. Never throws: a missing file reads as empty. */
  read(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const { ino, size } = fstatSync(fd);
      if (this.inode === null) {
        this.inode = ino;
        this.jumpTo(size - this.backfillBytes);
      } else if (ino !== this.inode || size < this.offset) {
        // Rotated (a new file under the path) or truncated in place: start it from the top.
        this.endStream();
        this.inode = ino;
        this.jumpTo(0);
      }
      if (size - this.offset > this.maxReadBytes) this.jumpTo(size - this.maxReadBytes);
      this.readRange(fd, size);
    } catch {
      // A read racing a rotation: the next call starts over on the new file.
    } finally {
      closeSync(fd);
    }
  }

  /** Reads, then returns the last `count` lines, oldest first. */
  lines(count?: number): string[] {
    this.read();
    return this.buffer.lines(count);
  }

  /** Reads, then returns the lines that arrived after `mark`. */
  linesSince(mark: number): string[] {
    this.read();
    return this.buffer.linesSince(mark);
  }

  private jumpTo(position: number): void {
    this.offset = Math.max(0, position);
    this.decoder = new StringDecoder('utf8');
    // Start one byte early and drop up to the first newline: a whole line is kept
    // when the jump lands exactly on a line start, a torn one never.
    if (this.offset > 0) {
      this.offset--;
      this.skipToNewline = true;
    } else {
      this.skipToNewline = false;
    }
  }

  private endStream(): void {
    this.buffer.push(this.decoder.end());
    this.buffer.flush();
  }

  private readRange(fd: number, end: number): void {
    const chunk = Buffer.allocUnsafe(ChunkBytes);
    while (this.offset < end) {
      const n = readSync(fd, chunk, 0, Math.min(ChunkBytes, end - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      this.accept(this.decoder.write(chunk.subarray(0, n)));
    }
  }

  private accept(text: string): void {
    if (this.skipToNewline) {
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      this.skipToNewline = false;
      text = text.slice(newline + 1);
    }
    this.buffer.push(text);
  }
}
