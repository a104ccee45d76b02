/**
 * `logbook list` from the executors' admin API: `GET <url>/api/workflows?status=&workflow=&limit=&cursor=`
 * on each executor given, pages followed until the limit, answers merged (audit/workflow-list.ts I2).
 *
 * I1. An executor that does not answer — connection refused, DNS failure, no answer within
 *     ADMIN_TIMEOUT_MS — is "unreachable", and the caller may fall back to the journal. One that answers
 *     with an HTTP error or with JSON that is not a WorkflowPageJson is a LogbookError: it is there, and
 *     falling back would hide what is wrong with it.
 * I2. The answer is decoded from unknown into WorkflowPageJson here (STYLE §2); nothing else sees raw JSON.
 * I3. At most ADMIN_PAGES_MAX pages per executor, so a server whose cursor never ends cannot loop us.
 */
import type { WorkflowPageJson, WorkflowSummaryJson } from '../admin/api-types.js';
import { WORKFLOW_STATUSES } from '../admin/api-types.js';
import type { ListFilter } from '../audit/index.js';
import { ErrorCode, LogbookError } from '../errors.js';

/** How long an executor has to answer one page (I1). */
export const ADMIN_TIMEOUT_MS = 2_000;
/** Pages read per executor, at most (I3). */
export const ADMIN_PAGES_MAX = 100;

/** An admin API answered, but not with a list (I1). */
export class AdminAnswerError extends LogbookError {
  override readonly name = 'AdminAnswerError';
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const stringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

function decodeSummary(v: unknown): WorkflowSummaryJson | undefined {
  if (!isRecord(v)) return undefined;
  const { id, workflow, status, partition, startedAt, updatedAt } = v;
  const known = WORKFLOW_STATUSES.find((s) => s === status);
  if (typeof id !== 'string' || typeof workflow !== 'string' || known === undefined) return undefined;
  if (typeof partition !== 'number' || !stringOrNull(startedAt) || !stringOrNull(updatedAt)) return undefined;
  return { id, workflow, status: known, partition, startedAt, updatedAt };
}

/** A WorkflowPageJson from parsed JSON, or undefined when it is not one (I2). */
export function decodeWorkflowPage(value: unknown): WorkflowPageJson | undefined {
  if (!isRecord(value) || !Array.isArray(value.items) || !stringOrNull(value.nextCursor)) return undefined;
  const items: WorkflowSummaryJson[] = [];
  for (const item of value.items) {
    const summary = decodeSummary(item);
    if (summary === undefined) return undefined;
    items.push(summary);
  }
  return { items, nextCursor: value.nextCursor };
}

/** The URL of one page. */
export function pageUrl(base: string, filter: ListFilter, cursor: string | null): string {
  const url = new URL('api/workflows', base.endsWith('/') ? base : `${base}/`);
  if (filter.status !== undefined) url.searchParams.set('status', filter.status);
  if (filter.workflow !== undefined) url.searchParams.set('workflow', filter.workflow);
  url.searchParams.set('limit', String(filter.limit));
  if (cursor !== null) url.searchParams.set('cursor', cursor);
  return url.href;
}

/** One page from `base`, or undefined when the executor does not answer (I1). */
async function fetchPage(url: string, token: string | undefined): Promise<WorkflowPageJson | undefined> {
  let response: Response;
  try {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    response = await fetch(url, { headers, signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
  } catch {
    return undefined; // I1: refused, unresolvable or too slow
  }
  if (!response.ok) {
    const why = response.status === 401 || response.status === 403 ? ' (check --admin-token)' : '';
    throw new AdminAnswerError(`the admin API at ${url} answered HTTP ${response.status}${why}.`);
  }
  const page = decodeWorkflowPage(await response.json().catch(() => undefined));
  if (page === undefined)
    throw new AdminAnswerError(`the admin API at ${url} did not answer a workflow list.`);
  return page;
}

/** Every page of one executor up to the limit; undefined when it does not answer (I1, I3). */
export async function listFromAdmin(
  base: string,
  filter: ListFilter,
  token: string | undefined,
): Promise<WorkflowSummaryJson[] | undefined> {
  const items: WorkflowSummaryJson[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < ADMIN_PAGES_MAX; page++) {
    const answer = await fetchPage(pageUrl(base, filter, cursor), token);
    if (answer === undefined) return page === 0 ? undefined : items;
    items.push(...answer.items);
    cursor = answer.nextCursor;
    if (cursor === null || items.length >= filter.limit) break;
  }
  return items;
}
