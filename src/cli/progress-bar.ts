/**
 * A progress bar on stderr for the journal tools: records read of the total to read (from the high
 * watermarks). It draws only when stderr is a terminal, so pipes, files and CI logs get nothing.
 *
 * I1. Draws at most every REDRAW_MS, and always the final state, so a million records cost no more
 *     than a few hundred writes.
 * I2. `finish` clears the line, leaving the terminal as it was.
 */

/** Milliseconds between two redraws, at least (I1). */
export const REDRAW_MS = 200;

const WIDTH = 30;

/** Where the bar draws: a stream that may be a terminal. */
export interface BarStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

/** A progress bar that is silent unless its stream is a terminal. */
export class ProgressBar {
  private lastDrawMs = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly stream: BarStream,
    private readonly label: string,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Reports `read` of `total` records (I1). */
  update(read: number, total: number): void {
    if (this.stream.isTTY !== true) return;
    const now = this.nowMs();
    if (read < total && now - this.lastDrawMs < REDRAW_MS) return;
    this.lastDrawMs = now;
    const share = total === 0 ? 1 : Math.min(1, read / total);
    const filled = Math.round(share * WIDTH);
    const bar = `${'='.repeat(filled)}${' '.repeat(WIDTH - filled)}`;
    const counts = `${read.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} records`;
    this.stream.write(`\r${this.label} [${bar}] ${counts}`);
    this.drawn = true;
  }

  /** Clears the bar (I2). */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}
