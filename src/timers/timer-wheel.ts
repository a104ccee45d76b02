/**
 * The timer wheel: holds a partition's pending timers in memory and reports each one due as a
 * `timerDue` input. A timer fires because that input reaches the machine and a TimerFired record
 * commits, not because this callback ran (STYLE §1).
 *
 * I1. Never early: a timer is reported only once the wall clock has reached its fireAtMs; the machine
 *     checks the same again when it decides.
 * I2. One Node timer at a time, armed for the earliest entry, capped at 2^31−1 ms (setTimeout's limit).
 * I3. The wheel is rebuilt from machine state after a takeover; it holds nothing the journal does not.
 */

/** A due timer, as the wheel reports it. */
export interface DueTimer {
  readonly workflowId: string;
  readonly timerId: string;
}

interface Entry extends DueTimer {
  readonly fireAtMs: number;
}

const MAX_DELAY_MS = 2_147_483_647;

/** Pending timers of one partition, in fireAt order. */
export class TimerWheel {
  private readonly entries = new Map<string, Entry>();
  private handle: NodeJS.Timeout | undefined;
  private armedForMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly onDue: (due: DueTimer) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Adds (or moves) a timer. */
  schedule(workflowId: string, timerId: string, fireAtMs: number): void {
    this.entries.set(`${workflowId}\u0000${timerId}`, { workflowId, timerId, fireAtMs });
    if (fireAtMs < this.armedForMs) this.arm();
  }

  /** Removes every timer of a workflow (it ended). */
  dropWorkflow(workflowId: string): void {
    for (const [key, entry] of this.entries) if (entry.workflowId === workflowId) this.entries.delete(key);
  }

  /** Removes one timer, if present. */
  cancel(workflowId: string, timerId: string): void {
    this.entries.delete(`${workflowId}\u0000${timerId}`);
  }

  /** Number of pending timers. */
  get size(): number {
    return this.entries.size;
  }

  /** Removes every timer and the Node timer. */
  clear(): void {
    this.entries.clear();
    this.disarm();
  }

  private disarm(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    this.disarm();
    let earliest = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) earliest = Math.min(earliest, entry.fireAtMs);
    if (earliest === Number.POSITIVE_INFINITY) return;
    const delayMs = Math.min(Math.max(0, earliest - this.clock()), MAX_DELAY_MS); // I2
    this.armedForMs = earliest;
    this.handle = setTimeout(() => this.fire(), delayMs);
  }

  private fire(): void {
    this.handle = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    const nowMs = this.clock();
    const due = [...this.entries]
      .filter(([, e]) => e.fireAtMs <= nowMs)
      .sort(([, a], [, b]) => a.fireAtMs - b.fireAtMs);
    for (const [key, entry] of due) {
      this.entries.delete(key);
      this.onDue({ workflowId: entry.workflowId, timerId: entry.timerId }); // I1
    }
    this.arm();
  }
}
