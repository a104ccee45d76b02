/**
 * The trace headers a client puts on a command (D24): the caller's explicit traceparent, else whatever the
 * active OpenTelemetry context injects through the registered propagator (nothing without an SDK).
 *
 * I1. An explicit traceparent that is not valid is the caller's mistake: a ConfigError before sending,
 *     not a header the executor would silently ignore.
 */
import { context, propagation } from '@opentelemetry/api';
import { ConfigError } from '../errors.js';
import { parseTraceparent, TRACEPARENT_HEADER, TRACESTATE_HEADER } from './trace-context.js';

/** Trace context a caller gives for a command; without it, the active OpenTelemetry context's is sent. */
export interface TraceOptions {
  /** A W3C traceparent; an invalid one is a ConfigError (I1). */
  readonly traceparent?: string;
  /** A W3C tracestate, sent with `traceparent`. */
  readonly tracestate?: string;
}

/** Trace headers for a command; undefined when there is nothing to propagate. */
export function outgoingTraceHeaders({
  traceparent,
  tracestate,
}: TraceOptions = {}): Record<string, string> | undefined {
  if (traceparent !== undefined) {
    if (parseTraceparent(traceparent) === undefined)
      throw new ConfigError(`traceparent ${JSON.stringify(traceparent)} is not a valid W3C traceparent.`); // I1
    return tracestate === undefined
      ? { [TRACEPARENT_HEADER]: traceparent }
      : { [TRACEPARENT_HEADER]: traceparent, [TRACESTATE_HEADER]: tracestate };
  }
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACEPARENT_HEADER] === undefined ? undefined : carrier;
}
