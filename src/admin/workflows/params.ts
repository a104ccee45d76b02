/**
 * Reading the query and path of a workflow route: every value arrives as text and leaves typed, or as an
 * AdminRequestError (400) that says which parameter is wrong and what it accepts.
 *
 * I1. Limits are clamped to their named maximum (a script asking for more gets the most there is, and a
 *     cursor for the rest); a limit below 1 or not an integer is refused.
 */
import { WORKFLOW_STATUSES, type WorkflowStatusName } from '../api-types.js';
import { decodeCursor } from './cursor.js';
import type { HistoryRequest } from './detail-query.js';
import { AdminRequestError } from './errors.js';
import {
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  NAME_FILTER_CHARS_MAX,
} from './limits.js';
import type { ListRequest } from './list-query.js';

/** A positive integer parameter, `fallback` when absent or empty, clamped to `max` when given (I1). */
export function intParam(params: URLSearchParams, name: string, fallback: number, max?: number): number {
  const text = params.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1)
    throw new AdminRequestError(
      `${name} must be a whole number from 1${max === undefined ? '' : ` to ${max}`}`,
    );
  return max === undefined ? Number(text) : Math.min(Number(text), max);
}

function statusParam(params: URLSearchParams): WorkflowStatusName | null {
  const text = params.get('status');
  if (text === null || text === '') return null;
  const status = WORKFLOW_STATUSES.find((s) => s === text);
  if (status === undefined)
    throw new AdminRequestError(`status must be one of ${WORKFLOW_STATUSES.join(', ')}`);
  return status;
}

function nameParam(params: URLSearchParams): string | null {
  const text = params.get('workflow');
  if (text === null || text === '') return null;
  if (text.length > NAME_FILTER_CHARS_MAX)
    throw new AdminRequestError(`workflow is longer than ${NAME_FILTER_CHARS_MAX} characters`);
  return text;
}

/** The list request of `?status=&workflow=&limit=&cursor=`. */
export function listRequest(params: URLSearchParams): ListRequest {
  const cursor = params.get('cursor');
  return {
    status: statusParam(params),
    workflow: nameParam(params),
    limit: intParam(params, 'limit', LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX),
    cursor: cursor === null || cursor === '' ? null : decodeCursor(cursor),
  };
}

/** The history request of `?from=&limit=`. */
export function historyRequest(params: URLSearchParams): HistoryRequest {
  return {
    fromSeq: intParam(params, 'from', 1, 0xffffffff),
    limit: intParam(params, 'limit', HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX),
  };
}

/**
 * The workflow id at the end of `pathname` after `prefix` (URL-encoded, any UTF-8; an id holding '/'
 * arrives as %2F). Undefined when the path is not under `prefix` or names no id.
 */
export function idFromPath(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix) || pathname.length === prefix.length) return undefined;
  try {
    return decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    throw new AdminRequestError('the workflow id in the path is not valid percent-encoded UTF-8');
  }
}
