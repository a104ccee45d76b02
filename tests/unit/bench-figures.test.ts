/**
 * The benchmark's arithmetic (bench/stats.ts) and the /proc reading its CPU figures rest on
 * (src/dev/broker-process.ts readProcStat): the summary's median is a true median (D33: it was the lower of
 * two rounds), and a stat file is read by its last ')' since a thread's name may hold spaces and ')'.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { median } from '../../bench/stats.js';
import { readProcStat } from '../../src/dev/index.js';

describe('the benchmark summary median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4.2])).toBe(4.2);
  });

  it('is the mean of the middle two of an even count, not either of them', () => {
    expect(median([1_405, 1_657])).toBe(1_531);
    expect(median([5.5, 4.55])).toBe(5.03); // rounded to 2 decimals
    expect(median([4.98, 5.0, 5.04, 4.13])).toBe(4.99);
  });

  it('is undefined for no rounds', () => {
    expect(median([])).toBeUndefined();
  });
});

describe('readProcStat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logbook-procstat-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the name between the parentheses and user + system ticks as ms, a name with ") " included', () => {
    const path = join(dir, 'stat');
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    writeFileSync(path, '4242 (C2 Compiler) x) S 1 4242 4242 0 -1 4194624 10 0 0 0 123 45 0 0 20 0 1 0\n');
    expect(readProcStat(path)).toEqual({ name: 'C2 Compiler) x', cpuMs: 1_680 });
  });

  it('reads this process and answers undefined for a file that is not there', () => {
    const self = readProcStat(`/proc/${process.pid}/stat`);
    expect(self?.cpuMs).toBeGreaterThan(0);
    expect(readProcStat(join(dir, 'gone'))).toBeUndefined();
  });
});
