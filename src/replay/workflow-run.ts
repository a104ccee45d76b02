/**
 * One live execution of a workflow body. It implements `ctx`, numbers the body's calls, reports them to
 * the partition owner (intents and step requests), and settles them when the owner delivers committed
 * journal records. A replay is the same thing fed the workflow's history first.
 *
 * I1. A call settles only from a committed record (`deliver`), never from a step's raw result, so a live
 *     body and a replayed body see identical values (DESIGN §3: continue only after commit).
 * I2. Determinism: each call is checked against the journaled call with the same callSeq (kind and name);
 *     a mismatch parks the workflow as stuck (WorkflowStuck) and the body never resumes.
 * I3. `ctx.now()` is the journal time of the record being delivered, so it is the same on replay.
 * I4. After a cancel, every pending and new call rejects with CancelledError, except compensation steps.
 */
import type { JournalRecord, JsonValue } from '../journal/index.js';
import { type CallKind, COMPENSATION_PREFIX } from '../machine/index.js';
import {
  type AnyWorkflowDefinition,
  CancelledError,
  fromErrorData,
  NonDeterminismError,
  type StepInfo,
  type StepOptions,
  TerminalError,
  TimeoutError,
  toErrorData,
  toMs,
  type WorkflowBody,
  type WorkflowContext,
  type WorkflowDefinition,
} from '../workflow/index.js';
import { DeterministicRandom } from './deterministic-random.js';
import type { Compensable, PendingCall, RecordedCall, RunSink } from './run-types.js';
import { compensationRetry, type StepRequest, stepRequest } from './step-request.js';

export type { RecordedCall, RunSink } from './run-types.js';

/** A live workflow body. */
export class WorkflowRun {
  private nextCallSeq = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly stepCalls = new Map<number, StepRequest>();
  private readonly compensable = new Map<number, Compensable>();
  private readonly completedCompensable: Compensable[] = [];
  private readonly random: DeterministicRandom;
  private clockMs: number;
  private cancelReason: string | null = null;
  private stuck = false;
  private compensating = false;
  readonly ctx: WorkflowContext;

  constructor(
    private readonly definition: AnyWorkflowDefinition,
    readonly workflowId: string,
    private readonly input: JsonValue,
    startedAtMs: number,
    private readonly recorded: ReadonlyMap<number, RecordedCall>,
    private readonly sink: RunSink,
  ) {
    this.clockMs = startedAtMs;
    this.random = new DeterministicRandom(workflowId);
    this.ctx = this.makeContext();
  }

  /** Starts the body; its calls reach the sink as it runs. */
  start(): void {
    void this.execute();
  }

  /** The step call `callSeq`, for running a retry attempt after its timer fired. */
  stepCall(callSeq: number): StepRequest | undefined {
    return this.stepCalls.get(callSeq);
  }

  /** True once the run parked itself as stuck (I2). */
  isStuck(): boolean {
    return this.stuck;
  }

  /** Settles the call a committed record completes (I1, I3). */
  deliver(record: JournalRecord): void {
    this.clockMs = record.atMs;
    const b = record.body;
    switch (b.kind) {
      case 'StepCompleted': {
        const c = this.compensable.get(b.callSeq);
        if (c !== undefined && this.pending.has(b.callSeq)) this.completedCompensable.push(c);
        this.settle(b.callSeq, (p) => p.resolve(b.result));
        return;
      }
      case 'StepFailed':
        if (b.retryAtMs === null) this.settle(b.callSeq, (p) => p.reject(fromErrorData(b.error)));
        return;
      case 'TimerFired':
        if (b.timerId.startsWith('sleep:')) this.settle(b.callSeq, (p) => p.resolve(undefined));
        if (b.timerId.startsWith('signal:')) {
          this.settle(b.callSeq, (p) =>
            p.reject(new TimeoutError(`signal wait (call ${b.callSeq}) timed out`)),
          );
        }
        return;
      case 'SignalConsumed':
        this.settle(b.callSeq, (p) => p.resolve(b.payload));
        return;
      case 'ChildCompleted':
        this.settle(b.callSeq, (p) =>
          b.outcome.ok ? p.resolve(b.outcome.result) : p.reject(fromErrorData(b.outcome.error)),
        );
        return;
      case 'Emitted':
        this.settle(b.callSeq, (p) => p.resolve(undefined));
        return;
      case 'CancelRequested':
        this.cancel(b.reason);
        return;
      default:
        return;
    }
  }

  private settle(callSeq: number, action: (p: PendingCall) => void): void {
    const p = this.pending.get(callSeq);
    if (p === undefined) return;
    this.pending.delete(callSeq);
    action(p);
  }

  private cancel(reason: string): void {
    this.cancelReason = reason;
    for (const [callSeq, p] of this.pending) {
      if (p.compensation) continue; // I4
      this.pending.delete(callSeq);
      p.reject(new CancelledError(reason));
    }
  }

  /** Allocates the next callSeq and checks it against the journal (I2); undefined once stuck. */
  private allocate(kind: CallKind, name: string): number | undefined {
    if (this.stuck) return undefined;
    const callSeq = this.nextCallSeq++;
    const recorded = this.recorded.get(callSeq);
    const nameDiffers =
      recorded !== undefined && recorded.name !== '' && name !== '' && recorded.name !== name;
    if (recorded !== undefined && (recorded.kind !== kind || nameDiffers)) {
      this.parkStuck(callSeq, `${kind} "${name}"`, `${recorded.kind} "${recorded.name}"`);
      return undefined;
    }
    return callSeq;
  }

  private parkStuck(callSeq: number, actual: string, expected: string): void {
    this.stuck = true;
    const message = `workflow ${this.workflowId} diverged from its history at call ${callSeq}: the body now makes ${actual}, the journal has ${expected}`;
    const error = new NonDeterminismError(message, { callSeq, expected, actual });
    this.sink.intent(this.workflowId, { type: 'stuck', error: toErrorData(error) });
  }

  private wait<T>(kind: CallKind, callSeq: number | undefined, compensation = false): Promise<T> {
    if (callSeq === undefined) return new Promise<T>(() => {}); // stuck: the body never resumes (I2)
    if (this.cancelReason !== null && !compensation)
      return Promise.reject(new CancelledError(this.cancelReason));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(callSeq, { kind, compensation, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private callStep<T>(
    name: string,
    fn: (info: StepInfo) => T | Promise<T>,
    options: StepOptions,
  ): Promise<Awaited<T>> {
    const callSeq = this.allocate('step', name);
    const promise = this.wait<Awaited<T>>('step', callSeq, this.compensating);
    if (callSeq === undefined) return promise;
    const base = this.compensating ? compensationRetry : undefined;
    const request = stepRequest(this.workflowId, callSeq, name, fn, options, base);
    this.stepCalls.set(callSeq, request);
    if (options.compensate !== undefined)
      this.compensable.set(callSeq, { name, callSeq, fn: options.compensate });
    if (this.cancelReason === null || this.compensating) this.sink.step(request);
    return promise;
  }

  private makeContext(): WorkflowContext {
    return {
      workflowId: this.workflowId,
      workflowName: this.definition.name,
      step: (name, fn, options = {}) => this.callStep(name, fn, options),
      sleep: (duration) => {
        const durationMs = toMs(duration, 'sleep');
        const callSeq = this.allocate('sleep', 'sleep');
        const promise = this.wait<void>('sleep', callSeq);
        if (callSeq !== undefined) this.sink.intent(this.workflowId, { type: 'sleep', callSeq, durationMs });
        return promise;
      },
      signal: <T>(name: string, options: { readonly timeout?: Parameters<typeof toMs>[0] } = {}) => {
        const timeoutMs = options.timeout === undefined ? null : toMs(options.timeout, 'signal timeout');
        const callSeq = this.allocate('signal', name);
        const promise = this.wait<T>('signal', callSeq);
        if (callSeq !== undefined)
          this.sink.intent(this.workflowId, { type: 'signal', callSeq, name, timeoutMs });
        return promise;
      },
      now: () => this.clockMs,
      random: () => this.random.next(),
      uuid: () => this.random.uuid(),
      child: <I, O>(definition: WorkflowDefinition<I, O>, childId: string, input: I) => {
        const callSeq = this.allocate('child', definition.name);
        const promise = this.wait<O>('child', callSeq);
        if (callSeq !== undefined) {
          const json = JSON.parse(JSON.stringify(input ?? null)) as JsonValue;
          this.sink.intent(this.workflowId, {
            type: 'child',
            callSeq,
            childId,
            workflow: definition.name,
            input: json,
          });
        }
        return promise;
      },
      emit: (topic, key, value) => {
        const callSeq = this.allocate('emit', topic);
        const promise = this.wait<void>('emit', callSeq);
        if (callSeq !== undefined)
          this.sink.intent(this.workflowId, { type: 'emit', callSeq, topic, key, value });
        return promise;
      },
    };
  }

  private async execute(): Promise<void> {
    try {
      const body = this.definition.body as unknown as WorkflowBody<JsonValue, unknown>;
      const result: unknown = await body(this.ctx, this.input);
      if (this.stuck) return;
      const maxRecorded = Math.max(0, ...this.recorded.keys());
      if (maxRecorded >= this.nextCallSeq) {
        const expected = this.recorded.get(this.nextCallSeq);
        this.parkStuck(
          this.nextCallSeq,
          'no more calls (it returned)',
          `${expected?.kind ?? 'a'} "${expected?.name ?? ''}"`,
        );
        return;
      }
      this.sink.intent(this.workflowId, { type: 'complete', result: toJsonResult(result) });
    } catch (error) {
      if (this.stuck) return;
      await this.unwind(error);
    }
  }

  /** Runs compensations of completed steps in reverse order, then reports the failure or cancellation. */
  private async unwind(error: unknown): Promise<void> {
    const reason = toErrorData(error);
    const undo = [...this.completedCompensable].reverse();
    const failures: JsonValue[] = [];
    if (undo.length > 0) {
      this.compensating = true;
      const callSeq = this.allocate('compensation', 'compensation');
      if (callSeq === undefined) return;
      this.sink.intent(this.workflowId, {
        type: 'compensation',
        callSeq,
        reason,
        steps: undo.map((c) => c.name),
      });
      for (const c of undo) {
        try {
          await this.callStep(`${COMPENSATION_PREFIX}${c.name}`, c.fn, {});
        } catch (compensationError) {
          if (this.stuck) return;
          failures.push({ step: c.name, error: toErrorData(compensationError) as unknown as JsonValue });
        }
      }
    }
    if (this.stuck) return;
    if (error instanceof CancelledError && this.cancelReason !== null && failures.length === 0) {
      this.sink.intent(this.workflowId, { type: 'cancelled', reason: this.cancelReason });
      return;
    }
    const details =
      failures.length === 0 ? reason.details : { cause: reason.details, compensationFailures: failures };
    this.sink.intent(this.workflowId, { type: 'fail', error: { ...reason, details } });
  }
}

/** A body's return value as journaled JSON (undefined becomes null). */
/** Largest workflow result, as JSON text: it must fit a tick's journal batch (as step results do). */
export const WORKFLOW_RESULT_BYTES_MAX = 256 * 1024;

function toJsonResult(value: unknown): JsonValue {
  const text = value === undefined ? 'null' : JSON.stringify(value);
  if (text.length > WORKFLOW_RESULT_BYTES_MAX) {
    throw new TerminalError(
      `workflow result is ${text.length} bytes of JSON, over the ${WORKFLOW_RESULT_BYTES_MAX}-byte limit`,
    );
  }
  return JSON.parse(text) as JsonValue;
}
