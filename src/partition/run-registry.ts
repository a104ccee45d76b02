/**
 * The live workflow runs of one partition and how committed records reach them (post-commit side of
 * the tick): create runs for started workflows, settle calls, arm timers, start retry attempts, drop
 * finished runs.
 *
 * I1. Called only with committed records, in journal order (DESIGN §3: continue only after commit).
 * I2. A step attempt starts only when the journal does not already settle it or schedule its retry;
 *     the attempt number continues from the journal's.
 * I3. After a cancel, only compensation steps start.
 * I5. Live delivery and replay hand a run its records the same way — one record, then the body runs until
 *     it waits again — so parallel branches number their calls in the same order both times.
 * I4. Speculation: a tick's records may reach the runs before the tick commits, so a body that, say,
 *     returns right after its last step has its WorkflowCompleted in the same transaction. Nothing a body
 *     does can leave the process before the commit: step attempts are held until `settle()`, every other
 *     intent is a journal record of the same transaction, and if the commit fails the owner and all its
 *     runs are discarded and rebuilt from the journal.
 */
import type { JournalRecord } from '../journal/index.js';
import { type Input, isCompensationStep, type PartitionState, type WorkflowState } from '../machine/index.js';
import { type RecordedCall, type RunSink, type StepRequest, WorkflowRun } from '../replay/index.js';
import type { StepRunner } from '../steps/index.js';
import type { TimerWheel } from '../timers/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';

/** Live runs of one partition. */
export class RunRegistry {
  private readonly runs = new Map<string, WorkflowRun>();

  constructor(
    private readonly state: PartitionState,
    private readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>,
    private readonly runner: StepRunner,
    private readonly wheel: TimerWheel,
    private readonly enqueue: (input: Input) => void,
  ) {}

  /** Number of live runs. */
  get size(): number {
    return this.runs.size;
  }

  private readonly sink: RunSink = {
    intent: (workflowId, intent) => this.enqueue({ kind: 'intent', workflowId, intent }),
    step: (request) => this.startStep(request),
  };

  /** Step requests held back while the records that led to them are not committed yet (I4). */
  private deferred: StepRequest[] | undefined;

  private startStep(request: StepRequest): void {
    if (this.deferred !== undefined) {
      this.deferred.push(request); // I4: no side effect before the commit
      return;
    }
    const ws = this.state.get(request.workflowId);
    const call = ws?.calls.get(request.callSeq);
    if (call !== undefined && call.status !== 'pending') return; // I2
    if (ws?.cancelReason != null && !isCompensationStep(request.name)) return; // I3
    this.runner.run(request, (call?.attempt ?? 0) + 1);
  }

  /** Creates and starts the run of `ws`, replaying `history` into it; resolves once it is caught up. */
  async resume(ws: WorkflowState, history: readonly JournalRecord[]): Promise<void> {
    const definition = this.workflows.get(ws.workflow);
    if (definition === undefined) return; // an executor without this workflow; it stays as it is
    const recorded = new Map<number, RecordedCall>(
      [...ws.calls].map(([seq, c]) => [seq, { kind: c.kind, name: c.name }]),
    );
    const run = new WorkflowRun(definition, ws.id, ws.input, ws.startedAtMs, recorded, this.sink);
    this.runs.set(ws.id, run);
    run.start();
    for (const record of history) {
      run.deliver(record);
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the body reach its next call
    }
    for (const timer of ws.timers.values()) this.wheel.schedule(ws.id, timer.timerId, timer.fireAtMs);
  }

  /**
   * Hands committed records to runs, timers and the step runner (I1), in rounds: each run gets its next
   * record, then the bodies run until they wait again, then the next round (I5).
   */
  async deliver(records: readonly JournalRecord[]): Promise<void> {
    const queues = new Map<string, JournalRecord[]>();
    for (const record of records) {
      if (record.workflowId === '') continue;
      queues.set(record.workflowId, [...(queues.get(record.workflowId) ?? []), record]);
    }
    for (let round = 0; ; round++) {
      let delivered = false;
      for (const queue of queues.values()) {
        const record = queue[round];
        if (record === undefined) continue;
        delivered = true;
        this.deliverOne(record);
      }
      if (!delivered) return;
      await new Promise<void>((resolve) => setImmediate(resolve)); // as resume() does between records (I5)
    }
  }

  private deliverOne(record: JournalRecord): void {
    const b = record.body;
    if (b.kind === 'WorkflowStarted') {
      const ws = this.state.get(record.workflowId);
      if (ws !== undefined && !this.runs.has(ws.id)) void this.resume(ws, []);
      return;
    }
    const run = this.runs.get(record.workflowId);
    run?.deliver(record);
    switch (b.kind) {
      case 'TimerScheduled':
        this.wheel.schedule(record.workflowId, b.timerId, b.fireAtMs);
        break;
      case 'TimerFired':
        if (b.timerId.startsWith('retry:')) this.retry(run, b.callSeq);
        break;
      case 'SignalConsumed':
        this.wheel.cancel(record.workflowId, `signal:${b.callSeq}`);
        break;
      case 'WorkflowCompleted':
      case 'WorkflowFailed':
      case 'WorkflowCancelled':
      case 'WorkflowStuck':
        this.runs.delete(record.workflowId);
        this.wheel.dropWorkflow(record.workflowId);
        break;
      default:
        break;
    }
  }

  private retry(run: WorkflowRun | undefined, callSeq: number): void {
    const request = run?.stepCall(callSeq);
    if (request !== undefined) this.startStep(request);
  }

  /**
   * Hands a tick's records to the runs BEFORE its commit, so bodies can report what they do next into the
   * same transaction (I4). Step attempts they ask for wait until {@link settle}.
   */
  async speculate(records: readonly JournalRecord[]): Promise<void> {
    this.deferred ??= [];
    await this.deliver(records);
  }

  /** The speculated records committed: start the step attempts held back (each re-checked against state). */
  settle(): void {
    const held = this.deferred ?? [];
    this.deferred = undefined;
    for (const request of held) this.startStep(request);
  }

  /**
   * A due timer the machine found not yet due (the wall clock stepped back between the wheel and the
   * tick) is still pending: put it back on the wheel, or it would never fire.
   */
  rearmTimersNotDue(inputs: readonly Input[]): void {
    for (const input of inputs) {
      if (input.kind !== 'timerDue') continue;
      const timer = this.state.get(input.workflowId)?.timers.get(input.timerId);
      if (timer !== undefined) this.wheel.schedule(input.workflowId, timer.timerId, timer.fireAtMs);
    }
  }

  /** Drops every run (the partition is going away). */
  clear(): void {
    this.deferred = undefined;
    this.runs.clear();
  }
}
