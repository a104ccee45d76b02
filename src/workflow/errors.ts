/**
 * Errors a workflow body sees and throws, and their journal form. An error stored in the journal is data
 * (`ErrorData`); `fromErrorData` turns it back into an Error of the right class when a replayed or live
 * body receives it, so `instanceof TimeoutError` works the same before and after a takeover.
 *
 * I1. The names below are persisted in journals: never rename them.
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

function jsonSafe(value: unknown): JsonValue {
  try {
    return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
  } catch {
    return String(value);
  }
}

/** The journal form of any thrown value. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof LogbookError) {
    const details = 'details' in error ? jsonSafe((error as { details: unknown }).details) : null;
    return { name: error.name, code: error.code, message: error.message, details };
  }
  if (error instanceof Error) {
    const raw: unknown = (error as { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : ErrorCode.StepFailed;
    return { name: error.name, code, message: error.message, details: null };
  }
  return { name: 'Error', code: ErrorCode.StepFailed, message: String(error), details: null };
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
    default:
      return new WorkflowError(data, data.details);
  }
}
