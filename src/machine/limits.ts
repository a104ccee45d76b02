/**
 * The machine's limits (STYLE §5) and the error data it journals when one is crossed. Limits the edges
 * check (payload sizes, topics) live with the edges; these are the ones only the state can tell.
 *
 * I1. A limit crossed by one workflow fails that workflow's call (CallRejected) or command (DLQ), or, for
 *     the calls-per-workflow limit, the workflow itself; never the partition.
 * I2. The error names and codes are persisted: `LimitError`/`LB_LIMIT` names the limit in `details.limit`.
 */
import { ErrorCode } from '../errors.js';
import type { ErrorData } from '../journal/index.js';

/** Limits the machine enforces, named with their units. */
export interface MachineLimits {
  /** Signals a workflow may hold unconsumed; one more goes to the DLQ. */
  readonly mailboxMax: number;
  /** Bytes of JSON payload a workflow's unconsumed signals may hold together; one more goes to the DLQ. */
  readonly mailboxBytesMax: number;
  /** Calls of one workflow open at once (parallel steps, waits); one more is rejected. */
  readonly openCallsMax: number;
  /** Calls one workflow may make in its life; one more fails the workflow (its history stays bounded). */
  readonly workflowCallsMax: number;
}

/** Defaults: generous for real workflows, small enough that a runaway body stays cheap. */
export const defaultMachineLimits: MachineLimits = {
  mailboxMax: 1_000,
  mailboxBytesMax: 4 * 1024 * 1024,
  openCallsMax: 10_000,
  workflowCallsMax: 1_000_000,
};

/** The journal form of a LimitError (I2). */
export function limitError(limit: string, max: number, actual: number, message: string): ErrorData {
  return { name: 'LimitError', code: ErrorCode.Limit, message, details: { limit, max, actual } };
}

/** The journal form of the CancelledError a call made or open after a cancel gets. */
export function cancelledError(reason: string): ErrorData {
  return {
    name: 'CancelledError',
    code: ErrorCode.Cancelled,
    message: `workflow cancelled: ${reason}`,
    details: null,
  };
}
