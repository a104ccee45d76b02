/**
 * One OpenTelemetry span per step attempt, through @opentelemetry/api alone: a no-op (a non-recording
 * span, no export) until the user registers an SDK, e.g. @opentelemetry/sdk-node (docs/readme-observability.md).
 *
 * I1. The span is named `step <name>` and carries the workflow's id and name, the call's seq, the attempt
 *     and the partition; a failed attempt ends with status ERROR and the error recorded as an exception.
 * I2. Its parent is the workflow's trace context, parsed by Logbook itself (trace-context.ts), not through
 *     `propagation.extract`, which does nothing without a registered propagator: a trace joins the
 *     command's trace with or without one.
 * I3. The step function runs inside the span's context (`context.with`), so spans the user's code starts
 *     nest under it when a context manager is registered (the SDK registers AsyncLocalStorage's).
 */
import {
  type Context,
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { ErrorData, TraceContext } from '../journal/index.js';
import { parseTraceparent } from './trace-context.js';

/** Name of Logbook's tracer. */
export const TRACER_NAME = 'logbook';

/** Span attribute names (I1); never rename them: dashboards query them. */
export const STEP_SPAN_ATTRIBUTES = {
  workflowId: 'logbook.workflow.id',
  workflow: 'logbook.workflow.name',
  step: 'logbook.step.name',
  callSeq: 'logbook.step.call_seq',
  attempt: 'logbook.step.attempt',
  partition: 'logbook.partition',
} as const;

/** What a step attempt's span says about it. */
export interface StepSpanTags {
  readonly workflowId: string;
  readonly workflow: string;
  readonly step: string;
  readonly callSeq: number;
  readonly attempt: number;
  readonly partition: number;
  readonly trace: TraceContext | undefined;
}

/** The context a traced workflow's spans start from: its remote parent (I2), or the root. */
export function parentContext(traceContext: TraceContext | undefined): Context {
  if (traceContext === undefined) return ROOT_CONTEXT;
  const parsed = parseTraceparent(traceContext.traceparent);
  if (parsed === undefined) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.flags,
    isRemote: true,
    ...(traceContext.tracestate === null ? {} : { traceState: createTraceState(traceContext.tracestate) }),
  });
}

/** A started step span: run the attempt in `context`, then `end` it with its outcome. */
export interface StepSpan {
  readonly context: Context;
  end(error: ErrorData | undefined): void;
}

/** Starts the span of one step attempt (I1, I2). `tracer` is Logbook's, from {@link stepTracer}. */
export function startStepSpan(tracer: Tracer, tags: StepSpanTags): StepSpan {
  const parent = parentContext(tags.trace);
  const span: Span = tracer.startSpan(
    `step ${tags.step}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [STEP_SPAN_ATTRIBUTES.workflowId]: tags.workflowId,
        [STEP_SPAN_ATTRIBUTES.workflow]: tags.workflow,
        [STEP_SPAN_ATTRIBUTES.step]: tags.step,
        [STEP_SPAN_ATTRIBUTES.callSeq]: tags.callSeq,
        [STEP_SPAN_ATTRIBUTES.attempt]: tags.attempt,
        [STEP_SPAN_ATTRIBUTES.partition]: tags.partition,
      },
    },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end: (error) => {
      if (error !== undefined) {
        span.recordException({ name: error.name, message: error.message, code: error.code });
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
      }
      span.end();
    },
  };
}

/**
 * Logbook's tracer. The API hands out a proxy that finds the SDK's tracer once one is registered, so a
 * tracer taken before the SDK starts still records after.
 */
export function stepTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** Runs `fn` in `ctx` (I3). */
export function runInContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}
