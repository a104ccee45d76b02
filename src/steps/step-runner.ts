/**
 * Runs step attempts outside the tick loop and hands each outcome back to it as a `stepOutcome` input
 * (STYLE §1: runners report back, they never change state). An attempt runs only because the machine
 * started it (StepStarted is committed); the runner never decides whether to run one.
 *
 * I1. At most `stepsInFlightMax` attempts run at once per partition; the rest wait in FIFO order, at most
 *     `stepQueueMax` of them (the owner stops taking step intents while the queue is full).
 * I2. An attempt over its timeout ends as a retriable TimeoutError and its AbortSignal is aborted; whatever
 *     it returns later is ignored. Stopping the runner aborts every running attempt the same way.
 * I3. TerminalError, or an error whose name or code is in `nonRetryable`, is not retriable (STYLE §3).
 * I4. A result that is not JSON is a TerminalError: it could never be journaled.
 * I5. Jitter for retry backoff is drawn here, at the edge, and journaled by the machine.
 * I6. A result larger than `resultBytesMax` (UTF-8 bytes of JSON) fails the step with a LimitError.
 * I7. `active(workflowId, callSeq)` is true from `run` until the outcome is reported, so the machine never
 *     starts a second attempt of a call whose attempt is still here (decide-intent.ts I1).
 * I8. Each attempt runs in its own OpenTelemetry span, child of the workflow's trace, and the step
 *     function runs in that span's context (tracing/step-span.ts); the span ends with the attempt's
 *     outcome, ERROR for a failure. Without an SDK this is a non-recording span and costs little.
 */
import type { JsonValue, TraceContext } from '../journal/index.js';
import type { Input, StepOutcome } from '../machine/index.js';
import type { StepRequest } from '../replay/index.js';
import { runInContext, startStepSpan, stepTracer } from '../tracing/index.js';
import { LimitError, TerminalError, TimeoutError, toErrorData } from '../workflow/index.js';

/** Limits of a StepRunner. */
export interface StepRunnerLimits {
  readonly stepsInFlightMax: number;
  /** Attempts waiting for a free slot, at most (I1). */
  readonly stepQueueMax: number;
  /** Largest step result, as UTF-8 bytes of JSON; a larger one fails the step (I6). */
  readonly resultBytesMax: number;
}

/** What the owner knows of an attempt's workflow, for its span (I8). */
export interface AttemptTags {
  readonly workflow: string;
  readonly trace: TraceContext | undefined;
}

interface Job {
  readonly request: StepRequest;
  readonly attempt: number;
  readonly tags: AttemptTags | undefined;
}

const key = (workflowId: string, callSeq: number): string => `${callSeq}\u0000${workflowId}`;

/** Runs step attempts and reports their outcomes. */
export class StepRunner {
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly queued = new Set<string>();
  private stopped = false;
  private readonly tracer = stepTracer();

  constructor(
    private readonly limits: StepRunnerLimits,
    private readonly report: (input: Input) => void,
    private readonly clock: () => number = Date.now,
    /** The partition whose attempts these are, for spans (I8). */
    private readonly partition = -1,
  ) {
    if (!(limits.stepsInFlightMax >= 1)) throw new RangeError('stepsInFlightMax must be ≥ 1');
  }

  /** Queues attempt `attempt` of `request` (I1); `tags` name its workflow and trace for its span (I8). */
  run(request: StepRequest, attempt: number, tags?: AttemptTags): void {
    if (this.stopped) return;
    this.queue.push({ request, attempt, tags });
    this.queued.add(key(request.workflowId, request.callSeq));
    this.pump();
  }

  /** True while an attempt of the call is queued or running (I7). */
  active(workflowId: string, callSeq: number): boolean {
    const k = key(workflowId, callSeq);
    return this.queued.has(k) || this.running.has(k);
  }

  /** True while the queue has room (I1). */
  hasRoom(): boolean {
    return this.queue.length < this.limits.stepQueueMax;
  }

  /** Attempts the queue has room for now (I1). */
  room(): number {
    return Math.max(0, this.limits.stepQueueMax - this.queue.length);
  }

  /** Attempts running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Attempts waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Stops starting attempts and aborts the running ones; their outcomes are dropped (I2). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.queued.clear();
    for (const controller of this.running.values())
      controller.abort(new Error('the partition owner stopped'));
  }

  private pump(): void {
    while (this.running.size < this.limits.stepsInFlightMax && this.queue.length > 0) {
      const job = this.queue.shift();
      if (job === undefined) return;
      const k = key(job.request.workflowId, job.request.callSeq);
      this.queued.delete(k);
      const controller = new AbortController();
      this.running.set(k, controller);
      void this.attempt(job, controller).finally(() => {
        if (this.running.get(k) === controller) this.running.delete(k);
        this.pump();
      });
    }
  }

  private async attempt({ request, attempt, tags }: Job, controller: AbortController): Promise<void> {
    const startedAtMs = this.clock();
    const span = startStepSpan(this.tracer, {
      workflowId: request.workflowId,
      workflow: tags?.workflow ?? '',
      step: request.name,
      callSeq: request.callSeq,
      attempt,
      partition: this.partition,
      trace: tags?.trace,
    }); // I8
    const info = {
      idempotencyKey: `${request.workflowId}/${request.callSeq}`,
      attempt,
      workflowId: request.workflowId,
      stepName: request.name,
      get signal(): AbortSignal {
        return controller.signal; // made when a step asks for it: most never do, and it costs ~3 µs
      },
    };
    const outcome = await runInContext(span.context, () =>
      runWithTimeout(() => request.fn(info), request.timeoutMs, request.name, controller),
    ).then(
      (value) => succeeded(value, this.limits.resultBytesMax),
      (error: unknown) => failed(error, request.nonRetryable),
    );
    span.end(outcome.ok ? undefined : outcome.error);
    if (this.stopped) return;
    this.report({
      kind: 'stepOutcome',
      workflowId: request.workflowId,
      callSeq: request.callSeq,
      name: request.name,
      attempt,
      startedAtMs,
      durationMs: this.clock() - startedAtMs,
      outcome,
      retry: request.retry,
      jitter: Math.random(), // I5
    });
  }
}

async function runWithTimeout(
  fn: () => unknown,
  timeoutMs: number | null,
  name: string,
  controller: AbortController,
): Promise<unknown> {
  const work = Promise.resolve().then(fn);
  if (timeoutMs === null) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`step "${name}" timed out after ${timeoutMs} ms`);
      controller.abort(error); // I2: the attempt is told to stop
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]); // I2
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // a late failure of an abandoned attempt is not unhandled
  }
}

function succeeded(value: unknown, resultBytesMax: number): StepOutcome {
  let text: string;
  try {
    text = value === undefined ? 'null' : (JSON.stringify(value) ?? 'null');
  } catch (error) {
    const terminal = new TerminalError(`step result is not JSON-serialisable: ${String(error)}`); // I4
    return { ok: false, error: toErrorData(terminal), retriable: false };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > resultBytesMax) {
    const message = `step result is ${bytes} bytes of JSON, over the ${resultBytesMax}-byte limit (stepResultBytesMax)`;
    const limit = new LimitError(message, {
      limit: 'stepResultBytesMax',
      max: resultBytesMax,
      actual: bytes,
    });
    return { ok: false, error: toErrorData(limit), retriable: false }; // I6
  }
  return { ok: true, result: JSON.parse(text) as JsonValue };
}

function failed(error: unknown, nonRetryable: readonly string[]): StepOutcome {
  const data = toErrorData(error);
  const retriable =
    !(error instanceof TerminalError) &&
    !nonRetryable.includes(data.name) &&
    !nonRetryable.includes(data.code);
  return { ok: false, error: data, retriable }; // I3
}
