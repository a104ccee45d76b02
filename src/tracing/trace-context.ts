/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) at Logbook's edges: reading `traceparent` and
 * `tracestate` from a command's Kafka headers, and the headers every message written for a traced
 * workflow carries (D24). Pure string work, no OpenTelemetry: the engine never depends on a propagator
 * being registered.
 *
 * I1. A traceparent is valid as the spec's §4.3 says: `version-traceid-parentid-flags`, lower-case hex;
 *     version `ff` is invalid; trace and parent ids are not all zeros; version 00 is exactly 55
 *     characters; a later version is at least 55, and anything after the first 55 starts with `-`.
 *     A valid one is kept as version 00 (what Logbook speaks), its flags as they came.
 * I2. An invalid traceparent is ignored as if absent, never an error (§4.2: "restart the trace"); with it
 *     goes the tracestate. An invalid tracestate alone is dropped, the traceparent kept (§3.3.1.1).
 * I3. One header of a name only: a message with two traceparent headers has none that counts.
 */
import type { TraceContext } from '../journal/index.js';

/** Kafka header of the W3C traceparent (never change it: any W3C propagator reads and writes it). */
export const TRACEPARENT_HEADER = 'traceparent';
/** Kafka header of the W3C tracestate (never change it, as above). */
export const TRACESTATE_HEADER = 'tracestate';

/** Longest tracestate kept, in characters (the spec asks vendors to propagate at least 512). */
export const TRACESTATE_LENGTH_MAX = 512;

/** A parsed, valid traceparent (I1). */
export interface Traceparent {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace-flags byte; bit 0 is `sampled`. */
  readonly flags: number;
}

const VERSION_00_LENGTH = 55;
const SHAPE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZEROS = /^0+$/;

/** Parses a traceparent value; undefined when it is not valid (I1). */
export function parseTraceparent(value: string): Traceparent | undefined {
  if (value.length < VERSION_00_LENGTH) return undefined;
  const version = value.slice(0, 2);
  if (
    version === '00'
      ? value.length !== VERSION_00_LENGTH
      : value.length > VERSION_00_LENGTH && value[VERSION_00_LENGTH] !== '-'
  )
    return undefined;
  const match = SHAPE.exec(value.slice(0, VERSION_00_LENGTH));
  if (match === null || version === 'ff') return undefined;
  const [, , traceId = '', spanId = '', flags = ''] = match;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The version-00 traceparent of `parsed`. */
export function formatTraceparent(parsed: Traceparent): string {
  return `00-${parsed.traceId}-${parsed.spanId}-${parsed.flags.toString(16).padStart(2, '0')}`;
}

/** True for a tracestate worth keeping: printable ASCII within TRACESTATE_LENGTH_MAX (I2). */
function validTracestate(value: string): boolean {
  return value.length <= TRACESTATE_LENGTH_MAX && /^[\x20-\x7e]*$/.test(value) && value.trim() !== '';
}

/** A Kafka header value as KafkaJS hands it over. */
export type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** Kafka headers as KafkaJS hands them over. */
export type MessageHeaders = Readonly<Record<string, HeaderValue>>;

/** The one value of a header, or undefined (absent or repeated, I3). */
function single(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  const values = value as readonly (Buffer | string)[];
  return values.length === 1 ? single(values[0]) : undefined;
}

/** What a message's trace headers say: a trace context, or why its traceparent was ignored. */
export type TraceHeaders =
  | { readonly trace: TraceContext; readonly ignored?: undefined }
  | { readonly trace?: undefined; readonly ignored: string }
  | { readonly trace?: undefined; readonly ignored?: undefined };

const NONE: TraceHeaders = {};

/** Reads the trace context of a message's headers (I1–I3); `{}` when it has no traceparent header. */
export function traceFromHeaders(headers: MessageHeaders | undefined): TraceHeaders {
  const raw = headers?.[TRACEPARENT_HEADER];
  if (raw === undefined) return NONE;
  const value = single(raw);
  if (value === undefined) return { ignored: 'more than one traceparent header' };
  const parsed = parseTraceparent(value.trim());
  if (parsed === undefined) return { ignored: `invalid traceparent ${JSON.stringify(value.slice(0, 80))}` };
  const state = single(headers?.[TRACESTATE_HEADER]);
  const tracestate = state !== undefined && validTracestate(state) ? state : null;
  return { trace: { traceparent: formatTraceparent(parsed), tracestate } };
}

/**
 * The headers naming `trace` on an outgoing message, added to `into` (a message's fresh header object, so
 * a traced message costs no object more than an untraced one) and returned.
 */
export function traceHeaders(trace: TraceContext, into: Record<string, string> = {}): Record<string, string> {
  into[TRACEPARENT_HEADER] = trace.traceparent;
  if (trace.tracestate !== null) into[TRACESTATE_HEADER] = trace.tracestate;
  return into;
}
