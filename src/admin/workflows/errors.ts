/**
 * The errors the workflow routes answer with, each with the HTTP status it maps to. They are LogbookErrors
 * (STYLE §3) with the usage code: a bad request, an unknown id or an id this executor does not own is the
 * caller's to fix, never the engine's.
 *
 * I1. Every error here answers JSON `{ error: { name, code, message, ... } }`; none is retriable here.
 */
import { ErrorCode, LogbookError } from '../../errors.js';

/** A query parameter, cursor or path the routes cannot read (400). */
export class AdminRequestError extends LogbookError {
  override readonly name = 'AdminRequestError';
  readonly httpStatus = 400;
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

/** No workflow of this id is in this executor's cache (404). */
export class WorkflowNotFoundError extends LogbookError {
  override readonly name = 'WorkflowNotFoundError';
  readonly httpStatus = 404;
  constructor(
    readonly workflowId: string,
    readonly partition: number,
  ) {
    super(ErrorCode.Usage, `no workflow ${JSON.stringify(workflowId)} on partition ${partition} here`);
  }
}

/** The id lives on a partition another executor owns (404, naming the partition). */
export class NotOwnedError extends LogbookError {
  override readonly name = 'NotOwnedError';
  readonly httpStatus = 404;
  constructor(
    readonly workflowId: string,
    readonly partition: number,
  ) {
    super(
      ErrorCode.Usage,
      `workflow ${JSON.stringify(workflowId)} is on partition ${partition}, which another executor owns; ` +
        'ask that executor',
    );
  }
}

/** The errors the routes answer instead of a result. */
export type WorkflowRouteError = AdminRequestError | WorkflowNotFoundError | NotOwnedError;

/** True for an error the routes answer as JSON with its status (I1). */
export function isWorkflowRouteError(error: unknown): error is WorkflowRouteError {
  return (
    error instanceof AdminRequestError ||
    error instanceof WorkflowNotFoundError ||
    error instanceof NotOwnedError
  );
}

/** The JSON body of a route error (I1). */
export function routeErrorJson(error: WorkflowRouteError): { error: Record<string, string | number> } {
  const base = { name: error.name, code: error.code, message: error.message };
  if (error instanceof AdminRequestError) return { error: base };
  return { error: { ...base, workflowId: error.workflowId, partition: error.partition } };
}
