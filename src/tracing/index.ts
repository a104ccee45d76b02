/** Trace context at the edges (W3C headers) and OpenTelemetry spans of step attempts (D24). */

export { outgoingTraceHeaders, type TraceOptions } from './outgoing.js';
export {
  parentContext,
  runInContext,
  STEP_SPAN_ATTRIBUTES,
  type StepSpan,
  type StepSpanTags,
  startStepSpan,
  stepTracer,
  TRACER_NAME,
} from './step-span.js';
export {
  formatTraceparent,
  type HeaderValue,
  type MessageHeaders,
  parseTraceparent,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  TRACESTATE_LENGTH_MAX,
  type TraceHeaders,
  type Traceparent,
  traceFromHeaders,
  traceHeaders,
} from './trace-context.js';
