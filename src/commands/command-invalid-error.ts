/**
 * Why a command is rejected (STYLE §3, first path: bad input). The decoder returns these as data, and the
 * partition owner writes them to `ns.dlq` (code and reason in headers) and keeps going; the encoders throw
 * them so a client learns the same reason before it sends.
 *
 * I1. The codes are ErrorCode values, persisted in DLQ headers and CommandRejected records: never rename.
 * I2. A reason is one sentence that names the offending field path or byte, for an operator reading the DLQ.
 */
import { type ErrorCode, LogbookError, type LogbookErrorOptions } from '../errors.js';
import type { Command } from './command.js';

/** The codes a command can be rejected with while decoding (I1). */
export type CommandRejectionCode =
  | typeof ErrorCode.CommandNotDecodable
  | typeof ErrorCode.CommandBadJson
  | typeof ErrorCode.CommandBadAvro
  | typeof ErrorCode.CommandUnknownType
  | typeof ErrorCode.CommandSchemaViolation
  | typeof ErrorCode.CommandOversize
  | typeof ErrorCode.CommandKeyMismatch;

/** The outcome of decoding one message from `ns.commands`. */
export type DecodeResult =
  | { readonly ok: true; readonly command: Command }
  | { readonly ok: false; readonly code: CommandRejectionCode; readonly reason: string };

/** A command that cannot be decoded or encoded; `code` says which rule it broke, `message` is the reason. */
export class CommandInvalidError extends LogbookError {
  override readonly name = 'CommandInvalidError';
  /** The rejection code, typed; the same value as `code`. */
  readonly rejection: CommandRejectionCode;

  constructor(code: CommandRejectionCode, reason: string, options: LogbookErrorOptions = {}) {
    super(code, reason, options);
    this.rejection = code;
  }
}
