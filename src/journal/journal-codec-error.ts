/**
 * Typed failures of the journal codec (STYLE §3). A record that will not encode is the writer's problem
 * (a payload JSON cannot carry, or a broken record); a value that will not decode is corruption or a
 * foreign writer on `ns.journal`. Both carry a stable code so callers can route them.
 *
 * I1. The codec never lets another error type escape: avsc and JSON.parse failures are wrapped in one of
 *     these, with the original as `cause`.
 */
import { ErrorCode, LogbookError, type LogbookErrorOptions } from '../errors.js';

/** A journal message value is not a valid JournalRecord of a version this code reads. */
export class JournalDecodeError extends LogbookError {
  override readonly name = 'JournalDecodeError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.JournalDecode, message, options);
  }
}

/** A journal record cannot be written: a field does not fit its Avro type or a payload is not JSON. */
export class JournalEncodeError extends LogbookError {
  override readonly name = 'JournalEncodeError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.JournalEncode, message, options);
  }
}
