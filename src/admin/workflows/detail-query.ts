/**
 * `/api/workflows/<id>`: one workflow's summary from the node cache and one page of its history, from the
 * cache while it runs ('h' keys) and from the journal once it finished (journal-history.ts).
 *
 * I1. Only ids of partitions this executor owns are answered; another partition's id is a NotOwnedError
 *     naming the partition (that executor's cache has it), an id the cache does not know a
 *     WorkflowNotFoundError.
 * I2. A page holds at most `limit` records (HISTORY_LIMIT_MAX, checked by the route); `nextFrom` is the seq
 *     after its last record when more follow.
 * I3. A finished workflow whose start the cache never saw (its WorkflowStarted was applied before
 *     CACHE_FORMAT 4, or the journal was trimmed) answers its summary with `history.unavailable` saying why.
 */
import type { CachedWorkflow } from '../../cache/index.js';
import { decodeRecord, type JournalRecord } from '../../journal/index.js';
import type { ExecutorView } from '../executor-view.js';
import {
  type HistoryPageJson,
  historyRecordJson,
  pendingJson,
  summaryJson,
  type WorkflowDetailJson,
} from './detail-json.js';
import { NotOwnedError, WorkflowNotFoundError } from './errors.js';
import { readJournalHistory } from './journal-history.js';
import { JOURNAL_READ_STALL_MS } from './limits.js';

/** Which page of a workflow's history to answer. */
export interface HistoryRequest {
  readonly fromSeq: number;
  readonly limit: number;
}

/** The page of `records` (read with one extra to see whether more follow, I2). */
function page(
  source: HistoryPageJson['source'],
  request: HistoryRequest,
  records: readonly JournalRecord[],
): HistoryPageJson {
  const shown = records.slice(0, request.limit);
  const last = shown.at(-1);
  const more = records.length > request.limit && last !== undefined;
  return {
    source,
    from: request.fromSeq,
    records: shown.map(historyRecordJson),
    nextFrom: more ? last.seq + 1 : null,
    unavailable: null,
  };
}

async function cachedHistory(
  view: ExecutorView,
  p: number,
  id: string,
  request: HistoryRequest,
): Promise<HistoryPageJson> {
  const values = await view.cache.partition(p).historyFrom(id, request.fromSeq, request.limit + 1);
  return page(
    'cache',
    request,
    values.map((v) => decodeRecord(v.value)),
  );
}

async function journalHistory(
  view: ExecutorView,
  p: number,
  found: CachedWorkflow & { kind: 'done' },
  request: HistoryRequest,
): Promise<HistoryPageJson> {
  const id = found.state.id;
  const startOffset = await view.cache.partition(p).startOffset(id);
  if (startOffset === undefined || found.terminalOffset < 0) {
    const why = 'the cache does not know where its records are in the journal (I3)';
    return { source: 'journal', from: request.fromSeq, records: [], nextFrom: null, unavailable: why };
  }
  const records = await readJournalHistory({
    kafka: view.kafka,
    topic: view.topics.journal,
    groupPrefix: `${view.topics.journal}.admin-history`,
    partition: p,
    workflowId: id,
    startOffset,
    terminalOffset: found.terminalOffset,
    fromSeq: request.fromSeq,
    limit: request.limit,
    stallMs: JOURNAL_READ_STALL_MS,
  });
  return page('journal', request, records);
}

/** One workflow's summary and history page (I1–I3). */
export async function describeWorkflow(
  view: ExecutorView,
  id: string,
  request: HistoryRequest,
): Promise<WorkflowDetailJson> {
  const p = view.partitionOf(id);
  if (!view.partitions().has(p)) throw new NotOwnedError(id, p); // I1
  const found = (await view.cache.partition(p).workflows([id])).get(id);
  if (found === undefined) throw new WorkflowNotFoundError(id, p);
  const ws = found.state;
  const history =
    found.kind === 'running'
      ? await cachedHistory(view, p, id, request)
      : await journalHistory(view, p, found, request);
  return {
    ...summaryJson(ws, p),
    parent: ws.parent,
    result: ws.result,
    error: ws.error,
    cancelReason: ws.cancelReason,
    archived: ws.archived ?? null,
    pending: pendingJson(ws),
    history,
  };
}
