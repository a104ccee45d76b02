/**
 * `/api/workflows` and `/api/workflow-counts` from the node cache: the workflows of the partitions this
 * executor owns, running and stuck ones ('w' keys) and finished ones still cached ('d' summaries), merged
 * in id order within each partition, partitions in ascending order.
 *
 * I1. Bounded reads: a page reads the keys it returns plus the ones its filter skips, and never more than
 *     LIST_KEYS_EXAMINED_MAX (each examined entry may cost one read of each of the two ranges,
 *     partition-cache.ts I1). A page that stops at the cap answers what it found and a cursor.
 * I2. The cursor names the last id examined, not only the last one answered, so a page stopped by the
 *     cap resumes after the skipped ids instead of skipping them again. A full page always gives a cursor
 *     (nothing is read ahead to see whether more follow), so the last page may come back empty.
 * I3. Every id present from the first page to the last is answered exactly once: ids are visited in
 *     order and a workflow is always either 'w' or 'd' (partition-cache.ts workflowsAfter). A workflow
 *     started meanwhile shows only if its id sorts after the cursor.
 * I4. A status filter reads only its range: 'running'/'stuck' the 'w' keys, the others the 'd' keys.
 * I5. Counts are counted per request from the cache, at most COUNT_KEYS_MAX keys; past that they are
 *     lower bounds and say `capped`. No counters to keep right across takeovers, rebuilds and retention.
 */
import type { ListedWorkflow, WorkflowEntryKinds } from '../../cache/index.js';
import { WORKFLOW_STATUSES, type WorkflowPageJson, type WorkflowStatusName } from '../api-types.js';
import type { ExecutorView } from '../executor-view.js';
import { encodeCursor, type ListCursor } from './cursor.js';
import { summaryJson, type WorkflowCountsJson } from './detail-json.js';
import { COUNT_KEYS_MAX, LIST_KEYS_EXAMINED_MAX } from './limits.js';

/** Keys read per cache range read when a filter may skip entries (a page needs more than it returns). */
const FILTERED_CHUNK_MIN = 64;
/** Keys read per cache range read while counting. */
const COUNT_CHUNK = 500;

/** What a list page asks for. */
export interface ListRequest {
  readonly status: WorkflowStatusName | null;
  readonly workflow: string | null;
  readonly limit: number;
  readonly cursor: ListCursor | null;
}

/** Which cache range a status filter reads (I4). */
function kindsFor(status: WorkflowStatusName | null): WorkflowEntryKinds {
  if (status === null) return 'all';
  return status === 'running' || status === 'stuck' ? 'running' : 'done';
}

function matches(entry: ListedWorkflow, request: ListRequest): boolean {
  const ws = entry.cached.state;
  return (
    (request.status === null || ws.status === request.status) &&
    (request.workflow === null || ws.workflow === request.workflow)
  );
}

/** The owned partitions to visit, in order, from the cursor's on (a revoked one is passed over). */
function partitionsFrom(view: ExecutorView, cursor: ListCursor | null): number[] {
  const owned = [...view.partitions().keys()].sort((a, b) => a - b);
  return cursor === null ? owned : owned.filter((p) => p >= cursor.partition);
}

/** One page of the workflows this executor owns (I1–I4). */
export async function listWorkflows(view: ExecutorView, request: ListRequest): Promise<WorkflowPageJson> {
  const items: WorkflowPageJson['items'][number][] = [];
  const filtered = request.status !== null || request.workflow !== null;
  const kinds = kindsFor(request.status);
  let examined = 0;
  for (const p of partitionsFrom(view, request.cursor)) {
    const cache = view.cache.partition(p);
    let afterId = request.cursor?.partition === p ? request.cursor.afterId : null;
    for (;;) {
      const budget = LIST_KEYS_EXAMINED_MAX - examined;
      if (budget <= 0) return { items, nextCursor: encodeCursor({ partition: p, afterId }) }; // I1, I2
      const want = request.limit - items.length;
      const chunk = Math.min(budget, filtered ? Math.max(want, FILTERED_CHUNK_MIN) : want);
      const entries = await cache.workflowsAfter(afterId ?? undefined, chunk, kinds);
      for (const entry of entries) {
        examined++;
        afterId = entry.id;
        if (!matches(entry, request)) continue;
        items.push(summaryJson(entry.cached.state, p));
        if (items.length >= request.limit)
          return { items, nextCursor: encodeCursor({ partition: p, afterId }) };
      }
      if (entries.length < chunk) break; // the partition has no more
    }
  }
  return { items, nextCursor: null };
}

/** The workflows of the owned partitions by status (I5). */
export async function countWorkflows(view: ExecutorView): Promise<WorkflowCountsJson> {
  const counts = Object.fromEntries(WORKFLOW_STATUSES.map((s) => [s, 0])) as Record<
    WorkflowStatusName,
    number
  >;
  const partitions = partitionsFrom(view, null);
  let read = 0;
  let capped = false;
  for (const p of partitions) {
    const cache = view.cache.partition(p);
    let afterId: string | undefined;
    for (;;) {
      const chunk = Math.min(COUNT_KEYS_MAX - read, COUNT_CHUNK);
      if (chunk <= 0) {
        capped = true;
        break;
      }
      const entries = await cache.workflowsAfter(afterId, chunk, 'all');
      for (const entry of entries) counts[entry.cached.state.status]++;
      read += entries.length;
      afterId = entries.at(-1)?.id;
      if (entries.length < chunk) break;
    }
    if (capped) break;
  }
  return { counts, capped, partitions };
}
