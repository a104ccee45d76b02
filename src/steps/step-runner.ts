/**
 * Runs step attempts outside the tick loop and hands each outcome back to it as a `stepOutcome` input
 * (STYLE §1: runners report back, they never change state).
 *
 * I1. At most `stepsInFlightMax` attempts run at once per partition; the rest wait in FIFO order.
 * I2. An attempt over its timeout ends as a retriable TimeoutError; its late result is ignored.
 * I3. TerminalError, or an error whose name or code is in `nonRetryable`, is not retriable (STYLE §3).
 * I4. A result that is not JSON is a TerminalError: it could never be journaled.
 * I5. Jitter for retry backoff is drawn here, at the edge, and journaled by the machine.
 * I6. A result larger than `resultBytesMax` is a TerminalError: it would not fit a tick's journal batch.
 */
import type { JsonValue } from '../journal/index.js';
import type { Input, StepOutcome } from '../machine/index.js';
import type { StepRequest } from '../replay/step-request.js';
import { TerminalError, TimeoutError, toErrorData } from '../workflow/index.js';

/** Limits of a StepRunner. */
export interface StepRunnerLimits {
  readonly stepsInFlightMax: number;
  /** Largest step result, as JSON text; a larger one fails the step (I6). */
  readonly resultBytesMax: number;
}

interface Job {
  readonly request: StepRequest;
  readonly attempt: number;
}

/** Runs step attempts and reports their outcomes. */
export class StepRunner {
  private inFlight = 0;
  private readonly queue: Job[] = [];
  private stopped = false;

  constructor(
    private readonly limits: StepRunnerLimits,
    private readonly report: (input: Input) => void,
  ) {
    if (!(limits.stepsInFlightMax >= 1)) throw new RangeError('stepsInFlightMax must be ≥ 1');
  }

  /** Queues attempt `attempt` of `request` (I1). */
  run(request: StepRequest, attempt: number): void {
    if (this.stopped) return;
    this.queue.push({ request, attempt });
    this.pump();
  }

  /** Stops starting attempts; outcomes of running ones are dropped (the next owner re-runs them). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  /** Attempts running now. */
  get running(): number {
    return this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < this.limits.stepsInFlightMax && this.queue.length > 0) {
      const job = this.queue.shift();
      if (job === undefined) return;
      this.inFlight++;
      void this.attempt(job).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async attempt({ request, attempt }: Job): Promise<void> {
    const startedAtMs = Date.now();
    const info = {
      idempotencyKey: `${request.workflowId}/${request.callSeq}`,
      attempt,
      workflowId: request.workflowId,
      stepName: request.name,
    };
    const outcome = await runWithTimeout(() => request.fn(info), request.timeoutMs, request.name).then(
      (value) => succeeded(value, this.limits.resultBytesMax),
      (error: unknown) => failed(error, request.nonRetryable),
    );
    if (this.stopped) return;
    this.report({
      kind: 'stepOutcome',
      workflowId: request.workflowId,
      callSeq: request.callSeq,
      name: request.name,
      attempt,
      startedAtMs,
      durationMs: Date.now() - startedAtMs,
      outcome,
      retry: request.retry,
      jitter: Math.random(), // I5
    });
  }
}

async function runWithTimeout(fn: () => unknown, timeoutMs: number | null, name: string): Promise<unknown> {
  const work = Promise.resolve().then(fn);
  if (timeoutMs === null) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`step "${name}" timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]); // I2
  } finally {
    clearTimeout(timer);
  }
}

function succeeded(value: unknown, resultBytesMax: number): StepOutcome {
  let text: string;
  try {
    text = value === undefined ? 'null' : JSON.stringify(value);
  } catch (error) {
    const terminal = new TerminalError(`step result is not JSON-serialisable: ${String(error)}`); // I4
    return { ok: false, error: toErrorData(terminal), retriable: false };
  }
  if (text.length > resultBytesMax) {
    const terminal = new TerminalError(
      `step result is ${text.length} bytes of JSON, over the ${resultBytesMax}-byte limit`,
    ); // I6
    return { ok: false, error: toErrorData(terminal), retriable: false };
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
