/**
 * Bug assertions (STYLE §3, third path): a broken invariant stops the owner without committing, so the
 * input is redelivered after the fix and never skipped.
 */
import { ErrorCode, LogbookError } from '../errors.js';

/** An engine invariant did not hold: a bug, never a user error. */
export class InvariantError extends LogbookError {
  override readonly name = 'InvariantError';
  constructor(message: string) {
    super(ErrorCode.Bug, message);
  }
}

/** Throws InvariantError unless `condition` holds. */
export function assertBug(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(value: never, what: string): never {
  throw new InvariantError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
