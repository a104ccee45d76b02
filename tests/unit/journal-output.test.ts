/**
 * Proves the journal tools' output helpers: the progress bar draws on stderr only when it is a terminal,
 * at most every REDRAW_MS but always its final state, and clears its line; the line writer gathers lines
 * into chunks and waits for 'drain' when the reader is slower.
 */
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../src/cli/line-writer.js';
import { ProgressBar } from '../../src/cli/progress-bar.js';

describe('the output helpers', () => {
  it('the progress bar is silent unless its stream is a terminal, and clears its line when done', () => {
    const written: string[] = [];
    const write = (text: string) => written.push(text) > 0;
    const pipe = new ProgressBar({ isTTY: false, write }, 'reading');
    pipe.update(10, 100);
    pipe.finish();
    expect(written).toEqual([]);
    let now = 0;
    const tty = new ProgressBar({ isTTY: true, write }, 'reading', () => now);
    tty.update(500, 1000);
    now += 10;
    tty.update(600, 1000); // within REDRAW_MS: not drawn
    tty.update(1000, 1000); // the end is always drawn
    tty.finish();
    expect(written).toEqual([
      `\rreading [${'='.repeat(15)}${' '.repeat(15)}] 500 / 1,000 records`,
      `\rreading [${'='.repeat(30)}] 1,000 / 1,000 records`,
      '\r\x1b[2K',
    ]);
  });

  it('the line writer gathers lines and waits for drain when the reader is slow', async () => {
    const chunks: string[] = [];
    let drain: (() => void) | undefined;
    const sink = {
      write: (text: string) => chunks.push(text) === 0,
      once: (_event: 'drain', listener: () => void) => {
        drain = listener;
      },
    };
    const out = new LineWriter(sink);
    await out.line('one');
    expect(chunks).toEqual([]);
    const flushed = out.flush();
    let done = false;
    void flushed.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(chunks).toEqual(['one\n']);
    expect(done).toBe(false);
    drain?.();
    await flushed;
    expect(done).toBe(true);
  });
});
