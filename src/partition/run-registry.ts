/**
 * The live runs of one partition: making them (by replay from the cache's history), handing them
 * committed records in rounds, and starting the step attempts the machine decided.
 *
 * I1. Live delivery and replay hand a run its records the same way — one record, then the body runs until
 *     it waits again — so a body sees outcomes in journal order either way.
 * I2. A run is rebuilt from the cache's history of its workflow (every record, in seq order) and is fed
 *     live records only after the history (run-entry.ts I1). At most `resumesInFlightMax` replay at once.
 * I3. An attempt runs only once its StepStarted is committed (decide-intent.ts I3). An attempt whose run
 *     is gone (evicted, or the owner is new) is held until the replayed run has made the step call again,
 *     and is reported active meanwhile, as is one whose outcome waits in the inbox, so the machine never
 *     starts a second one while the first can still report.
 * I4. Speculation (owner-tick.ts I4): a tick's first-round records may reach the runs before its commit;
 *     nothing a body does then leaves the process, since every intent is a record of the same tick and
 *     attempts start only after the commit. A failed commit drops those runs (hot-set.ts I2).
 * I5. A body reacts to a record in microtasks (its awaited call resolves, it runs to its next call), so
 *     waiting for bodies is waiting for the microtask queue to drain (event-loop.ts), not for a turn of
 *     the event loop, which cost ~0.05 ms and a poll of every socket each time.
 *     A round that handed no record waits for nothing. A replay, whose length is its history's, takes a
 *     loop turn every `REPLAY_RECORDS_PER_TURN` records, so fetches and heartbeats still get their turn.
 */
import type { PartitionCache } from '../cache/index.js';
import { loopTurn, microtasksDrained } from '../event-loop.js';
import { decodeRecord, type JournalRecord } from '../journal/index.js';
import type { Intent, StepAttempt, WorkflowState } from '../machine/index.js';
import { type RunLimits, runFromHistory, WorkflowRun } from '../replay/index.js';
import type { AttemptTags, StepRunner } from '../steps/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';
import type { HotSet } from './hot-set.js';
import type { Queued } from './inbox.js';
import { deliverTo, type RunEntry } from './run-entry.js';

const attemptKey = (workflowId: string, callSeq: number): string => `${callSeq}\u0000${workflowId}`;
/** Records a replay hands its run between two turns of the event loop (I5). */
export const REPLAY_RECORDS_PER_TURN = 64;

/** What a RunRegistry needs. */
export interface RunRegistryDeps {
  readonly hot: HotSet;
  readonly cache: PartitionCache;
  readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>;
  readonly runner: StepRunner;
  readonly limits: RunLimits;
  readonly resumesInFlightMax: number;
  readonly enqueue: (item: Queued) => void;
  readonly onResumeError: (workflowId: string, error: unknown) => void;
  readonly now: () => number;
}

/** Live runs of one partition. */
export class RunRegistry {
  /** Attempts held for runs being rebuilt (I3): workflow id → callSeq → attempt. */
  private readonly held = new Map<string, Map<number, number>>();
  /** Calls whose attempt's outcome is in the inbox or in a tick not committed yet. */
  private readonly outcomes = new Set<string>();
  private readonly resumeQueue = new Set<string>();
  private resuming = 0;
  private stopped = false;
  resumed = 0;

  constructor(private readonly deps: RunRegistryDeps) {}

  /** Runs replaying now, and waiting to. */
  get resumesPending(): number {
    return this.resuming + this.resumeQueue.size;
  }

  /**
   * True while an attempt of the call is queued, running or held here, or its outcome waits to be
   * committed (I3): the machine then starts no other attempt of it.
   */
  attemptActive(workflowId: string, callSeq: number): boolean {
    const key = attemptKey(workflowId, callSeq);
    return (
      this.deps.runner.active(workflowId, callSeq) ||
      this.held.get(workflowId)?.has(callSeq) === true ||
      this.outcomes.has(key)
    );
  }

  /** An attempt's outcome reached the inbox; it counts as active until a tick commits it. */
  outcomeQueued(workflowId: string, callSeq: number): void {
    this.outcomes.add(attemptKey(workflowId, callSeq));
  }

  /** A tick committed the outcome of the call. */
  outcomeCommitted(workflowId: string, callSeq: number): void {
    this.outcomes.delete(attemptKey(workflowId, callSeq));
  }

  /** True while some attempt of `workflowId` is held (it must not leave memory). */
  holds(workflowId: string): boolean {
    return this.held.has(workflowId);
  }

  /** Asks for `workflowId`'s run to be rebuilt by replay, unless it is live already (I2). */
  resume(workflowId: string): void {
    if (this.stopped || this.deps.hot.runs.has(workflowId)) return;
    this.resumeQueue.add(workflowId);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.resuming < this.deps.resumesInFlightMax && this.resumeQueue.size > 0) {
      const [id] = this.resumeQueue;
      if (id === undefined) return;
      this.resumeQueue.delete(id);
      this.resuming++;
      void this.replay(id)
        .catch((error: unknown) => this.deps.onResumeError(id, error))
        .finally(() => {
          this.resuming--;
          this.pump();
        });
    }
  }

  /** Rebuilds one run from the cache (I2). */
  private async replay(id: string): Promise<void> {
    const { hot } = this.deps;
    if (hot.runs.has(id)) return;
    const state = hot.state(id) ?? (await this.loadRunning(id));
    const definition = state === undefined ? undefined : this.deps.workflows.get(state.workflow);
    if (state === undefined || definition === undefined || this.stopped || hot.runs.has(id)) return;
    if (hot.state(id) === undefined) hot.hold(state, this.deps.now());
    const entry: RunEntry = { workflowId: id, run: undefined, replaying: true, queue: [], lastSeq: 0 };
    hot.runs.set(id, entry); // live records queue up from here (run-entry.ts I1)
    try {
      await this.replayInto(entry, definition);
    } catch (error) {
      if (hot.runs.get(id) === entry) hot.runs.delete(id);
      throw error;
    }
  }

  private async replayInto(entry: RunEntry, definition: AnyWorkflowDefinition): Promise<void> {
    const id = entry.workflowId;
    const history = (await this.deps.cache.history(id)).map((value) => decodeRecord(value));
    if (this.deps.hot.runs.get(id) !== entry) return; // forgotten meanwhile
    const run = runFromHistory(definition, history, this.sink(entry), this.deps.limits);
    if (run === undefined) throw new Error(`the cache holds no history for ${id}`);
    entry.run = run;
    run.start();
    for (const [i, record] of history.entries()) {
      entry.lastSeq = record.seq;
      run.deliver(record);
      await (i % REPLAY_RECORDS_PER_TURN === REPLAY_RECORDS_PER_TURN - 1 ? loopTurn() : microtasksDrained()); // I1, I5
    }
    entry.replaying = false;
    for (const record of entry.queue.splice(0)) deliverTo(entry, record);
    this.resumed++;
  }

  private async loadRunning(id: string): Promise<WorkflowState | undefined> {
    const cached = (await this.deps.cache.workflows([id])).get(id);
    return cached?.kind === 'running' ? cached.state : undefined;
  }

  /** The sink of a run: intents go to the inbox tagged with their run; a held attempt starts (I3). */
  sink(entry: RunEntry): { intent(intent: Intent): void } {
    return {
      intent: (intent) => {
        if (intent.type === 'step') this.release(entry, intent.callSeq);
        this.deps.enqueue({ input: { kind: 'intent', workflowId: entry.workflowId, intent }, run: entry });
      },
    };
  }

  /** Starts a fresh run for a workflow that just started (its only record is WorkflowStarted). */
  startNew(ws: WorkflowState, started: JournalRecord): RunEntry | undefined {
    const definition = this.deps.workflows.get(ws.workflow);
    if (definition === undefined || started.body.kind !== 'WorkflowStarted') return undefined;
    const entry: RunEntry = {
      workflowId: ws.id,
      run: undefined,
      replaying: false,
      queue: [],
      lastSeq: started.seq,
    };
    const run = new WorkflowRun(
      definition,
      ws.id,
      started.body.input,
      started.atMs,
      false,
      this.sink(entry),
      this.deps.limits,
    );
    entry.run = run;
    this.deps.hot.runs.set(ws.id, entry);
    run.start();
    return entry;
  }

  /** Hands records to their runs in rounds (I1); returns once the bodies have reacted. */
  async deliver(records: readonly JournalRecord[]): Promise<void> {
    const queues = new Map<string, JournalRecord[]>();
    for (const record of records) {
      if (record.workflowId === '' || !this.deps.hot.runs.has(record.workflowId)) continue;
      const queue = queues.get(record.workflowId);
      if (queue === undefined) queues.set(record.workflowId, [record]);
      else queue.push(record);
    }
    for (let round = 0; queues.size > 0; round++) {
      let handed = false;
      for (const [id, queue] of queues) {
        const record = queue[round];
        const entry = this.deps.hot.runs.get(id);
        if (record === undefined || entry === undefined) queues.delete(id);
        else {
          deliverTo(entry, record);
          handed = true;
        }
      }
      if (handed) await microtasksDrained(); // I5
    }
  }

  /** Starts the attempts a committed tick decided (I3). */
  startAttempts(attempts: readonly StepAttempt[]): void {
    for (const a of attempts) {
      const entry = this.deps.hot.runs.get(a.workflowId);
      const request = entry?.run?.stepCall(a.callSeq);
      if (request !== undefined) {
        this.deps.runner.run(request, a.attempt, this.tagsOf(a.workflowId)); // the body has made the call (a replaying one too)
        continue;
      }
      const forRun = this.held.get(a.workflowId) ?? new Map<number, number>();
      forRun.set(a.callSeq, a.attempt);
      this.held.set(a.workflowId, forRun);
      this.resume(a.workflowId);
    }
  }

  /** A run made step call `callSeq` again: start the attempt held for it (I3). */
  private release(entry: RunEntry, callSeq: number): void {
    const forRun = this.held.get(entry.workflowId);
    const attempt = forRun?.get(callSeq);
    const request = entry.run?.stepCall(callSeq);
    if (forRun === undefined || attempt === undefined || request === undefined) return;
    forRun.delete(callSeq);
    if (forRun.size === 0) this.held.delete(entry.workflowId);
    this.deps.runner.run(request, attempt, this.tagsOf(entry.workflowId));
  }

  /** The workflow name and trace an attempt's span carries (step-runner.ts I8). */
  private tagsOf(workflowId: string): AttemptTags | undefined {
    const ws = this.deps.hot.state(workflowId);
    return ws === undefined ? undefined : { workflow: ws.workflow, trace: ws.trace };
  }

  /** Forgets the runs of `ids` (evicted, or rolled back) and what was held for them. */
  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      this.deps.hot.runs.delete(id);
      this.resumeQueue.delete(id);
      this.held.delete(id);
    }
  }

  /** Drops every run (the partition is going away). */
  stop(): void {
    this.stopped = true;
    this.resumeQueue.clear();
    this.held.clear();
    this.deps.hot.runs.clear();
  }
}
