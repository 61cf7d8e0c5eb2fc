/**
 * A bounded buffer of text lines: keeps the last `capacity` lines of a stream
 * that arrives in arbitrary chunks, so a gateway's output can be shown and read
 * for hints without holding the whole log in memory.
 */

const TruncationMark = ' …[truncated]';

/** The last `capacity` lines of a text stream, oldest first. */
export class LineRingBuffer {
  private readonly slots: string[] = [];
  private next = 0;
  private committed = 0;
  private pending = '';
  private pendingTruncated = false;

  /**
   * @param capacity - lines kept; older ones are dropped.
   * @param maxLineLength - longer lines are cut here, so one runaway line (a minified
   *   stack, a binary dump) cannot hold megabytes. Default 4096 characters.
   */
  constructor(
    readonly capacity: number,
    readonly maxLineLength = 4096,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${maxLineLength}`);
    }
  }

  /** Lines committed so far (ever, not only those still kept): a mark for `linesSince`. */
  get total(): number {
    return this.committed;
  }

  /** Appends a chunk; a line split across chunks is joined before it is committed. */
  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      if (newline === -1) {
        this.appendPending(chunk.slice(start));
        return;
      }
      this.appendPending(chunk.slice(start, newline));
      this.commit();
      start = newline + 1;
    }
  }

  /** Commits a pending partial line, e.g. when the stream it came from has ended. */
  flush(): void {
    if (this.pending !== '' || this.pendingTruncated) this.commit();
  }

  /** The last `count` lines (default all kept), oldest first; a pending partial line counts as the last. */
  lines(count = this.capacity): string[] {
    const kept = this.slots.length;
    const all: string[] = [];
    const first = kept < this.capacity ? 0 : this.next;
    for (let i = 0; i < kept; i++) all.push(this.slots[(first + i) % this.capacity] as string);
    const partial = this.partialLine();
    if (partial !== null) all.push(partial);
    return count <= 0 ? [] : all.slice(-count);
  }

  /** The lines committed after `mark` (a former `total`) that are still kept, plus the pending partial line. */
  linesSince(mark: number): string[] {
    const newer = Math.min(Math.max(this.committed - mark, 0), this.slots.length);
    const partial = this.partialLine() === null ? 0 : 1;
    return this.lines(newer + partial);
  }

  clear(): void {
    this.slots.length = 0;
    this.next = 0;
    this.pending = '';
    this.pendingTruncated = false;
  }

  private appendPending(text: string): void {
    if (this.pendingTruncated || text === '') return;
    const room = this.maxLineLength - this.pending.length;
    if (text.length > room) {
      this.pending += text.slice(0, room);
      this.pendingTruncated = true;
    } else {
      this.pending += text;
    }
  }

  private partialLine(): string | null {
    if (this.pending === '' && !this.pendingTruncated) return null;
    return this.finish(this.pending, this.pendingTruncated);
  }

  private finish(line: string, truncated: boolean): string {
    // Output written for a terminal ends lines with \r\n; the \r is noise here.
    const text = !truncated && line.endsWith('\r') ? line.slice(0, -1) : line;
    return truncated ? text + TruncationMark : text;
  }

  private commit(): void {
    const line = this.finish(this.pending, this.pendingTruncated);
    this.pending = '';
    this.pendingTruncated = false;
    if (this.slots.length < this.capacity) this.slots.push(line);
    else this.slots[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
    this.committed++;
  }
}
