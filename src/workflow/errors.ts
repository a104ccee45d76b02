/**
 * Errors a workflow body sees and throws, and their journal form. An error stored in the journal is data
 * (`ErrorData`); `fromErrorData` turns it back into an Error of the right class when a replayed or live
 * body receives it, so `instanceof TimeoutError` works the same before and after a takeover.
 *
 * I1. The names below are persisted in journals: never rename them.
 * I2. An error's journal form is bounded whatever was thrown: name and code ERROR_NAME_LENGTH_MAX
 *     characters, message ERROR_MESSAGE_BYTES_MAX bytes, details ERROR_DETAILS_BYTES_MAX bytes (a stack,
 *     for errors that are not Logbook's, ERROR_STACK_BYTES_MAX); what is cut is marked "[cut: …]".
 */
import { ErrorCode, LogbookError } from '../errors.js';
import type { ErrorData, JsonValue } from '../journal/index.js';

/** Thrown by a step (or the body) to fail at once, without retries. */
export class TerminalError extends LogbookError {
  override readonly name: string = 'TerminalError';
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(options.code ?? ErrorCode.Terminal, message, { cause: options.cause });
  }
}

/**
 * A value or a count over one of Logbook's named limits: a step or workflow result, a child input or an
 * emit value too large, too many calls open. It fails the call that crossed it (catchable in the body);
 * uncaught, it fails the workflow. `details` names the limit: `{ limit, max, actual }`.
 */
export class LimitError extends TerminalError {
  override readonly name = 'LimitError';
  constructor(
    message: string,
    readonly details: JsonValue = null,
  ) {
    super(message, { code: ErrorCode.Limit });
  }
}

/**
 * Kafka would not take what a call wrote: `ctx.emit` to a topic that does not exist (code
 * LB_EMIT_REJECTED), or a record the broker refused (LB_KAFKA_REJECTED). It fails that call only.
 */
export class KafkaRejectedError extends TerminalError {
  override readonly name = 'KafkaRejectedError';
  constructor(
    message: string,
    code: string = ErrorCode.KafkaRejected,
    readonly details: JsonValue = null,
  ) {
    super(message, { code });
  }
}

/** A body diverged from its journaled history (it made different calls than the journal holds). */
export class NonDeterminismError extends LogbookError {
  override readonly name = 'NonDeterminismError';
  constructor(
    message: string,
    readonly details: JsonValue,
  ) {
    super(ErrorCode.NonDeterminism, message);
  }
}

/** A step attempt, a signal wait or a result wait ran out of time. */
export class TimeoutError extends LogbookError {
  override readonly name = 'TimeoutError';
  constructor(message: string) {
    super(ErrorCode.Timeout, message, { retriable: true });
  }
}

/** The workflow was cancelled; ctx calls made after the cancel reject with this. */
export class CancelledError extends LogbookError {
  override readonly name = 'CancelledError';
  constructor(readonly reason: string) {
    super(ErrorCode.Cancelled, `workflow cancelled: ${reason}`);
  }
}

/** An error read back from the journal whose class is not one of Logbook's. */
export class WorkflowError extends LogbookError {
  override readonly name: string;
  constructor(
    data: ErrorData,
    readonly details: JsonValue,
  ) {
    super(data.code, data.message);
    this.name = data.name;
  }
}

/** Longest error name or code kept, in characters; longer ones are cut (I2). */
export const ERROR_NAME_LENGTH_MAX = 256;
/** Bytes of an error message kept (UTF-8); the rest is cut with a marker (I2). */
export const ERROR_MESSAGE_BYTES_MAX = 4 * 1024;
/** Bytes of an error's details kept as JSON; larger details are replaced by a marked preview (I2). */
export const ERROR_DETAILS_BYTES_MAX = 3 * 1024;
/** Bytes of a stack kept in `details.stack` for errors that are not Logbook's (I2). */
export const ERROR_STACK_BYTES_MAX = 1024;

/** `text` cut to `maxBytes` of UTF-8, with a marker saying how much was cut (I2). */
export function cutText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const kept = Buffer.from(text, 'utf8')
    .subarray(0, Math.max(0, maxBytes - 40))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept}… [cut: ${bytes} bytes in all]`;
}

function jsonSafe(value: unknown): JsonValue {
  try {
    return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
  } catch {
    return String(value);
  }
}

/** Details within ERROR_DETAILS_BYTES_MAX, or a marked preview of them (I2). */
function boundedDetails(value: unknown): JsonValue {
  const details = jsonSafe(value);
  const text = JSON.stringify(details) ?? 'null';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= ERROR_DETAILS_BYTES_MAX) return details;
  return { truncated: true, bytes, preview: cutText(text, ERROR_DETAILS_BYTES_MAX / 2) };
}

function bounded(name: string, code: string, message: string, details: unknown): ErrorData {
  return {
    name: cutText(name, ERROR_NAME_LENGTH_MAX),
    code: cutText(code, ERROR_NAME_LENGTH_MAX),
    message: cutText(message, ERROR_MESSAGE_BYTES_MAX),
    details: boundedDetails(details),
  };
}

/** The journal form of any thrown value, within ERROR_*_MAX whatever was thrown (I2). */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof LogbookError) {
    const details = 'details' in error ? (error as { details: unknown }).details : null;
    return bounded(error.name, error.code, error.message, details);
  }
  if (error instanceof Error) {
    const raw: unknown = (error as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : ErrorCode.StepFailed;
    const stack =
      typeof error.stack === 'string' ? { stack: cutText(error.stack, ERROR_STACK_BYTES_MAX) } : null;
    return bounded(String(error.name), code, String(error.message), stack);
  }
  return bounded('Error', ErrorCode.StepFailed, String(error), null);
}

/** Rebuilds an Error of the right class from its journal form (I1). */
export function fromErrorData(data: ErrorData): Error {
  switch (data.name) {
    case 'TerminalError':
      return Object.assign(new TerminalError(data.message, { code: data.code }), { details: data.details });
    case 'TimeoutError':
      return Object.assign(new TimeoutError(data.message), { details: data.details });
    case 'CancelledError':
      return new CancelledError(data.message.replace(/^workflow cancelled: /, ''));
    case 'NonDeterminismError':
      return new NonDeterminismError(data.message, data.details);
    case 'LimitError':
      return new LimitError(data.message, data.details);
    case 'KafkaRejectedError':
      return new KafkaRejectedError(data.message, data.code, data.details);
    default:
      return new WorkflowError(data, data.details);
  }
}
