/**
 * Proves the span of each step attempt (tracing/step-span.ts, step-runner.ts I8) against a recording
 * TracerProvider written on @opentelemetry/api alone (tests/support/test-tracer.ts):
 *   - one span per attempt, named `step <name>`, with the workflow's id and name, call seq, attempt and
 *     partition; a failed attempt's span has status ERROR and the error recorded, a good one stays UNSET;
 *   - its parent is the workflow's traceparent (same trace id, parent span id = the command's span), with
 *     no propagator involved; an untraced workflow's span is a root;
 *   - the step function runs inside the span's context, so a span the user's code starts nests under it;
 *   - with nothing registered the API is a no-op and attempts run as before;
 *   - the client injects the active context's traceparent when a propagator is registered.
 */
import { context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import type { Input } from '../../src/machine/index.js';
import { stepPolicy, stepRequest } from '../../src/replay/index.js';
import { StepRunner } from '../../src/steps/index.js';
import { STEP_SPAN_ATTRIBUTES as A, outgoingTraceHeaders } from '../../src/tracing/index.js';
import type { StepInfo } from '../../src/workflow/index.js';
import { installTestTracing } from '../support/test-tracer.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACE = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'k=v' };
const LIMITS = { stepsInFlightMax: 4, stepQueueMax: 10, resultBytesMax: 1_000 };

let uninstall: (() => void) | undefined;
afterEach(() => {
  uninstall?.();
  uninstall = undefined;
});

/** Runs one attempt of `fn` on a runner of partition 5 and resolves with its reported outcome. */
function runOnce(
  fn: (info: StepInfo) => unknown,
  attempt: number,
  tags?: { workflow: string; trace: typeof TRACE | undefined },
): Promise<Extract<Input, { kind: 'stepOutcome' }>> {
  return new Promise((resolve) => {
    const runner = new StepRunner(
      LIMITS,
      (input) => {
        if (input.kind === 'stepOutcome') resolve(input);
      },
      Date.now,
      5,
    );
    runner.run(stepRequest('wf-1', 3, 'charge', fn, stepPolicy({})), attempt, tags);
  });
}

describe('step attempt spans', () => {
  it('one span per attempt, child of the workflow trace, ERROR on failure, attributes named', async () => {
    const installed = installTestTracing();
    uninstall = installed.uninstall;
    const tags = { workflow: 'order', trace: TRACE };
    const failed = await runOnce(() => Promise.reject(new Error('card service down')), 1, tags);
    const ok = await runOnce(() => ({ paid: true }), 2, tags);
    expect([failed.outcome.ok, ok.outcome.ok]).toEqual([false, true]);

    const spans = installed.provider.spans;
    expect(spans.map((s) => [s.name, s.tracerName, s.ended])).toEqual([
      ['step charge', 'logbook', true],
      ['step charge', 'logbook', true],
    ]);
    for (const [i, span] of spans.entries()) {
      expect(span.parent).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, isRemote: true });
      expect(span.parent?.traceState?.get('k')).toBe('v');
      expect(span.spanContext().traceId).toBe(TRACE_ID);
      expect(span.attributes).toEqual({
        [A.workflowId]: 'wf-1',
        [A.workflow]: 'order',
        [A.step]: 'charge',
        [A.callSeq]: 3,
        [A.attempt]: i + 1,
        [A.partition]: 5,
      });
    }
    expect(spans[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error: card service down' });
    expect(spans[0]?.exceptions).toEqual([
      { name: 'Error', message: 'card service down', code: 'LB_STEP_FAILED' },
    ]);
    expect(spans[1]?.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(spans[1]?.exceptions).toEqual([]);
  });

  it("the step function runs in the span's context, so the user's own spans nest under it", async () => {
    const installed = installTestTracing();
    uninstall = installed.uninstall;
    await runOnce(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        trace.getTracer('user-code').startSpan('charge card').end();
      },
      1,
      { workflow: 'order', trace: TRACE },
    );
    const [step, user] = installed.provider.spans;
    expect(user?.name).toBe('charge card');
    expect(user?.parent?.spanId).toBe(step?.spanContext().spanId);
    expect(user?.spanContext().traceId).toBe(TRACE_ID);
  });

  it('an untraced workflow gets a root span', async () => {
    const installed = installTestTracing();
    uninstall = installed.uninstall;
    await runOnce(() => 1, 1, { workflow: 'order', trace: undefined });
    expect(installed.provider.spans[0]?.parent).toBeUndefined();
    expect(installed.provider.spans[0]?.spanContext().traceId).not.toBe(TRACE_ID);
  });

  it('without an SDK the API is a no-op and the attempt runs as before', async () => {
    const outcome = await runOnce(() => 'fine', 1, { workflow: 'order', trace: TRACE });
    expect(outcome.outcome).toEqual({ ok: true, result: 'fine' });
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});

describe('client injection', () => {
  it("injects the active span's traceparent when a propagator is registered", () => {
    const installed = installTestTracing();
    uninstall = installed.uninstall;
    const span = trace.getTracer('caller').startSpan('checkout');
    const headers = context.with(trace.setSpan(ROOT_CONTEXT, span), () => outgoingTraceHeaders());
    const { traceId, spanId } = span.spanContext();
    expect(headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });
});
