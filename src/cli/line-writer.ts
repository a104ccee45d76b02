/**
 * Writes lines to stdout in chunks, waiting when the reader is slower: the journal tools print up to a
 * line per record of a million-record journal, and neither a write per line nor an unbounded buffer will do.
 *
 * I1. At most CHUNK_CHARS_MAX characters are held before they are written; a write the stream could not
 *     take at once (it returned false) is waited out ('drain') before more is taken.
 */

/** Characters gathered before one write (I1). */
export const CHUNK_CHARS_MAX = 64 * 1024;

/** Where lines go: stdout, or any writable. */
export interface LineSink {
  write(text: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/** Gathers lines and writes them in chunks (I1). */
export class LineWriter {
  private chunk = '';

  constructor(private readonly sink: LineSink = process.stdout) {}

  /** Adds one line (without its newline); resolves once the stream can take more (I1). */
  async line(text: string): Promise<void> {
    this.chunk += `${text}\n`;
    if (this.chunk.length >= CHUNK_CHARS_MAX) await this.flush();
  }

  /** Writes what is gathered. */
  async flush(): Promise<void> {
    if (this.chunk === '') return;
    const text = this.chunk;
    this.chunk = '';
    if (!this.sink.write(text)) await new Promise<void>((resolve) => this.sink.once('drain', resolve));
  }
}
