/**
 * The peers benchmark's arithmetic (bench/peers): its CPU reading, `treeCpuMs` — a server is a tree of
 * processes (PostgreSQL forks a backend per connection), and a child that exits between two readings must
 * still count, through the parent that reaped it, or a window's figure goes negative — and its summary,
 * whose ratios are each round's own.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { treeCpuMs } from '../../bench/peers/servers.js';
import { type RoundFigures, summarize } from '../../bench/peers/summary.js';
import { readProcTreeStat } from '../../src/dev/index.js';

const BURN_MS = 400;

describe('treeCpuMs', () => {
  it('counts a child that burned CPU and exited, through the parent that reaped it', async () => {
    const burn = `const end = Date.now() + ${BURN_MS}; while (Date.now() < end);`;
    const script = `read go; "${process.execPath}" -e "${burn}"; echo reaped; sleep 5`;
    const parent = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const pid = parent.pid ?? 0;
      const before = treeCpuMs(pid);
      parent.stdin.write('go\n'); // the child starts only now
      await new Promise<void>((resolve) => parent.stdout.once('data', () => resolve()));
      const after = treeCpuMs(pid); // the burner has exited: only the shell is left
      expect(before).toBeLessThan(BURN_MS / 2);
      expect(after - before).toBeGreaterThanOrEqual(BURN_MS * 0.7);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('is 0 for a process that does not exist', () => {
    expect(treeCpuMs(2 ** 22 + 7)).toBe(0);
  });

  it('reads a process parent from /proc (readProcTreeStat)', () => {
    expect(readProcTreeStat(process.pid)?.parent).toBe(process.ppid);
    expect(readProcTreeStat(2 ** 22 + 7)).toBeUndefined();
  });

  it('refuses pid 0 and 1, whose trees are the whole host', () => {
    expect(() => treeCpuMs(0)).toThrow(/no process tree/);
    expect(() => treeCpuMs(1)).toThrow(/no process tree/);
  });
});

const figures = (p50: number, perSec: number): RoundFigures => ({
  w1: { p50, p99: p50 * 2 },
  cpuMsPerSequentialWorkflow: { total: p50 },
  workflowsPerSec: perSec,
  cpuMsPerWorkflowAtThroughput: { total: 1 },
});

describe('the peers summary', () => {
  it("gives each system's medians and the median of each round's own ratio", () => {
    // Each round's ratio of p50 is 0.5, 0.3, 0.5 (median 0.5); the ratio of the medians is 12 / 40 = 0.3.
    // Workflows/s: 4, 3, 4 (median 4); the ratio of the medians is 300 / 100 = 3.
    const rounds = new Map([
      ['logbook', [figures(10, 400), figures(12, 300), figures(30, 200)]],
      ['restate', [figures(20, 100), figures(40, 100), figures(60, 50)]],
    ] as const);
    const { medians, ratios } = summarize(rounds);
    expect(medians.logbook?.w1P50Ms).toBe(12);
    expect(medians.restate?.w1P50Ms).toBe(40);
    expect(medians.logbook?.workflowsPerSec).toBe(300);
    expect(ratios.logbookOverRestate?.w1P50Ms).toBe(0.5);
    expect(ratios.logbookOverRestate?.workflowsPerSec).toBe(4);
    expect(ratios.logbookOverRestate?.cpuMsPerWorkflowAtThroughput).toBe(1);
  });

  it('gives no ratio without Logbook', () => {
    expect(summarize(new Map([['dbos', [figures(10, 100)]]] as const)).ratios).toEqual({});
  });
});
