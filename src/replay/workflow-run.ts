/**
 * One live execution of a workflow body. It implements `ctx`, numbers the body's calls, reports them to
 * the partition owner as intents, and settles them when the owner delivers committed journal records. A
 * replay is the same thing fed the workflow's history first (`addHistory`, then `deliver`).
 *
 * I1. A call settles only from a committed record (`deliver`), never from a step's raw result, so a live
 *     body and a replayed body see identical values (DESIGN §3: continue only after commit).
 * I2. Determinism: each call is matched to its journaled call by origin (call-matcher.ts); a call with a
 *     different kind or name parks the workflow as stuck (WorkflowStuck) and the body never resumes.
 * I3. `ctx.now()` is the journal time of the record being delivered, so it is the same on replay.
 * I4. Every call is an intent, steps included: whether an attempt runs, and whether a call made after a
 *     cancel is refused, is the machine's decision (decide-intent.ts); the run only reports and settles.
 * I5. Values the body hands over are checked here, at the call (RunLimits, names.ts); one over a limit
 *     fails that call through a journaled CallRejected, so the failure replays the same way.
 * I6. Legacy histories (v1/v2 writers) journaled no CallRejected on a cancel: their runs reject every
 *     waiting call but compensation steps when CancelRequested arrives, and refuse new calls at once, as
 *     those writers' runs did, so the replay makes the same calls.
 * I7. A call's bookkeeping (its step request, its compensation) is released when the call settles,
 *     whatever way it settles; a completed step with a compensation joins the undo list in completion order.
 */
import type { JournalRecord, JsonValue } from '../journal/index.js';
import { type CallKind, COMPENSATION_PREFIX, type Intent, nameProblem } from '../machine/index.js';
import {
  type AnyWorkflowDefinition,
  CancelledError,
  LimitError,
  NonDeterminismError,
  type StepInfo,
  type StepOptions,
  TerminalError,
  toErrorData,
  type WorkflowBody,
  type WorkflowContext,
} from '../workflow/index.js';
import { CallMatcher } from './call-matcher.js';
import { type CallOrigin, currentOrigin, enterOrigin, runInOrigin } from './call-origin.js';
import { CallTable } from './call-table.js';
import { DeterministicRandom } from './deterministic-random.js';
import { makeContext } from './run-context.js';
import type { Compensable, RunLimits, RunSink } from './run-types.js';
import { compensationRetry, type StepRequest, stepPolicy, stepRequest } from './step-request.js';

/** A call the run allocated: its number, its origin, and the rejection to journal if it broke a limit. */
export interface Allocated {
  readonly callSeq: number;
  readonly parentSeq: number;
}

/** A live workflow body. */
export class WorkflowRun {
  private readonly matcher: CallMatcher;
  private readonly root: CallOrigin;
  private readonly calls = new CallTable((callSeq, record) => this.settled(callSeq, record));
  /** The origin context each unsettled call opened, for its settle time (call-origin.ts atMs). */
  private readonly origins = new Map<number, CallOrigin>();
  private readonly stepCalls = new Map<number, StepRequest>();
  private readonly compensable = new Map<number, Compensable>();
  private readonly completedCompensable: Compensable[] = [];
  private readonly random: DeterministicRandom;
  private cancelReason: string | null = null;
  private stuck = false;
  private compensating = false;
  readonly ctx: WorkflowContext;

  constructor(
    private readonly definition: AnyWorkflowDefinition,
    readonly workflowId: string,
    private readonly input: JsonValue,
    startedAtMs: number,
    private readonly legacy: boolean,
    private readonly sink: RunSink,
    readonly limits: RunLimits,
  ) {
    this.random = new DeterministicRandom(workflowId);
    this.matcher = new CallMatcher(legacy);
    this.root = { owner: this, parentSeq: 0, next: 0, atMs: startedAtMs };
    this.ctx = makeContext(this);
  }

  /** Feeds one history record before `start` (in journal order), so the body's calls find their numbers. */
  addHistory(record: JournalRecord): void {
    this.matcher.add(record);
  }

  /** Starts the body; its calls reach the sink as it runs. */
  start(): void {
    this.matcher.sealed();
    void runInOrigin(this.root, () => this.execute());
  }

  /** The step call `callSeq` (its function and options), for running an attempt the machine started. */
  stepCall(callSeq: number): StepRequest | undefined {
    return this.stepCalls.get(callSeq);
  }

  /** True once the run parked itself as stuck (I2). */
  isStuck(): boolean {
    return this.stuck;
  }

  /** The workflow's definition name. */
  get workflowName(): string {
    return this.definition.name;
  }

  /** The journal time the calling code stands at: its context's (call-origin.ts atMs; I3). */
  get now(): number {
    return (currentOrigin(this) ?? this.root).atMs;
  }

  /** The deterministic random stream of this workflow. */
  get randomStream(): DeterministicRandom {
    return this.random;
  }

  /** Settles the call a committed record completes (I1, I3). */
  deliver(record: JournalRecord): void {
    if (record.body.kind === 'CancelRequested') {
      this.cancelReason = record.body.reason;
      if (this.legacy) this.calls.rejectAll(() => this.cancelledError()); // I6
    }
    this.calls.deliver(record);
  }

  /** A call settled from `record` (I3, I7). */
  private settled(callSeq: number, record: JournalRecord): void {
    const origin = this.origins.get(callSeq);
    this.origins.delete(callSeq);
    if (origin !== undefined) origin.atMs = record.atMs;
    this.stepCalls.delete(callSeq);
    const c = this.compensable.get(callSeq);
    this.compensable.delete(callSeq);
    if (c !== undefined && record.body.kind === 'StepCompleted') this.completedCompensable.push(c);
  }

  /** Reports an intent to the owner. */
  report(intent: Intent): void {
    this.sink.intent(intent);
  }

  /** Numbers a new call of `kind`/`name` by its origin and checks it against the journal (I2). */
  allocate(kind: CallKind, name: string): Allocated | undefined {
    if (this.stuck) return undefined;
    const origin = currentOrigin(this) ?? this.root;
    const rank = origin.next++;
    const match = this.matcher.match(origin.parentSeq, rank, kind, name);
    if (match.kind === 'diverged') {
      const { expected } = match;
      this.parkStuck(match.callSeq, `${kind} "${name}"`, `${expected.kind} "${expected.name}"`);
      return undefined;
    }
    this.origins.set(match.callSeq, enterOrigin(this, match.callSeq, origin.atMs));
    return { callSeq: match.callSeq, parentSeq: origin.parentSeq };
  }

  private parkStuck(callSeq: number, actual: string, expected: string): void {
    this.stuck = true;
    const message = `workflow ${this.workflowId} diverged from its history at call ${callSeq}: the body now makes ${actual}, the journal has ${expected}`;
    const error = new NonDeterminismError(message, { callSeq, expected, actual });
    this.report({ type: 'stuck', error: toErrorData(error) });
  }

  /** A promise for call `call`'s outcome; never settles for a stuck run (I2). */
  wait<T>(kind: CallKind, call: Allocated | undefined, compensation = false): Promise<T> {
    if (call === undefined) return new Promise<T>(() => {});
    return new Promise<T>((resolve, reject) => {
      this.calls.add(call.callSeq, { kind, compensation, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** The CancelledError a legacy run refuses calls with (I6). */
  cancelledError(): CancelledError {
    return new CancelledError(this.cancelReason ?? '');
  }

  /** True when a legacy run refuses a new call at once (I6); a new run's machine refuses it instead. */
  refusesAtOnce(compensation: boolean): boolean {
    return this.legacy && this.cancelReason !== null && !compensation;
  }

  /** Journals call `call` as rejected with `error` (I5). */
  rejectCall(call: Allocated, kind: CallKind, name: string, error: Error): void {
    this.report({ type: 'rejected', ...call, callKind: kind, name, error: toErrorData(error) });
  }

  /** `ctx.step`. */
  callStep<T>(
    name: string,
    fn: (info: StepInfo) => T | Promise<T>,
    options: StepOptions,
  ): Promise<Awaited<T>> {
    const compensation = this.compensating;
    const policy = stepPolicy(options, compensation ? compensationRetry : undefined); // throws before numbering
    if (this.refusesAtOnce(compensation)) return Promise.reject(this.cancelledError()); // I6
    const call = this.allocate('step', name);
    if (call === undefined) return this.wait('step', call);
    const problem = this.stepProblem(name, options);
    if (problem === undefined) {
      // Registered before the wait: an outcome that came first settles it at once (I7).
      this.stepCalls.set(call.callSeq, stepRequest(this.workflowId, call.callSeq, name, fn, policy));
      if (options.compensate !== undefined)
        this.compensable.set(call.callSeq, { name, callSeq: call.callSeq, fn: options.compensate });
    }
    const promise = this.wait<Awaited<T>>('step', call, compensation);
    if (problem !== undefined) this.rejectCall(call, 'step', name, problem);
    else this.report({ type: 'step', ...call, name, attemptActive: false });
    return promise;
  }

  /** Why a step call cannot be made (I5), or undefined. */
  private stepProblem(name: string, options: StepOptions): Error | undefined {
    const badName = nameProblem(name);
    if (badName !== undefined) return new TerminalError(`a step name must be ${badName}`);
    const compensations = this.compensable.size + this.completedCompensable.length;
    const max = this.limits.compensationsMax;
    if (options.compensate === undefined || compensations < max) return undefined;
    const message = `workflow ${this.workflowId} holds ${compensations} compensations, the compensationsMax limit`;
    return new LimitError(message, { limit: 'compensationsMax', max, actual: compensations + 1 });
  }

  private async execute(): Promise<void> {
    try {
      const body = this.definition.body as unknown as WorkflowBody<JsonValue, unknown>;
      const result: unknown = await body(this.ctx, this.input);
      if (this.stuck) return;
      const missing = this.matcher.firstUnmatched();
      if (missing !== undefined) {
        const expected = `${missing.kind} "${missing.name}"`;
        this.parkStuck(missing.callSeq, 'no more calls (it returned)', expected);
        return;
      }
      this.report({ type: 'complete', result: this.jsonResult(result) });
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
      const call = this.allocate('compensation', 'compensation');
      if (call === undefined) return;
      this.report({ type: 'compensation', ...call, reason, steps: undo.map((c) => c.name) });
      for (const c of undo) {
        try {
          await this.callStep(`${COMPENSATION_PREFIX}${c.name}`, c.fn, {});
        } catch (compensationError) {
          if (this.stuck) return;
          failures.push({ step: c.name, error: { ...toErrorData(compensationError) } });
        }
      }
    }
    if (this.stuck) return;
    if (error instanceof CancelledError && this.cancelReason !== null && failures.length === 0) {
      this.report({ type: 'cancelled', reason: this.cancelReason });
      return;
    }
    const details =
      failures.length === 0 ? reason.details : { cause: reason.details, compensationFailures: failures };
    this.report({ type: 'fail', error: { ...reason, details } });
  }

  /** A body's return value as journaled JSON (undefined becomes null), within workflowResultBytesMax (I5). */
  private jsonResult(value: unknown): JsonValue {
    const text = value === undefined ? 'null' : JSON.stringify(value);
    const bytes = Buffer.byteLength(text ?? 'null', 'utf8');
    const max = this.limits.workflowResultBytesMax;
    if (bytes > max) {
      const message = `workflow result is ${bytes} bytes of JSON, over the ${max}-byte limit (workflowResultBytesMax)`;
      throw new LimitError(message, { limit: 'workflowResultBytesMax', max, actual: bytes });
    }
    return JSON.parse(text ?? 'null') as JsonValue;
  }
}
