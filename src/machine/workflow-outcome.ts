/**
 * Shapes derived from a workflow's state for the outside: the child result sent to a parent, and the
 * status a `query` command answers with.
 *
 * I1. A status answer is bounded whatever the history length: counters, at most DESCRIBE_ITEMS_MAX open
 *     calls and pending timers (with how many were left out), and the last closed calls the state keeps
 *     (state.ts RECENT_CALLS_MAX), each attempt error cut to DESCRIBE_MESSAGE_MAX characters, so an answer
 *     stays far under Kafka's 1 MiB message limit with a 256 KiB result. The full history is in the journal (`logbook journal show`). A workflow
 *     past the cache's retention answers with its status and where its terminal record is (`archived`).
 * I2. A child start for an id that ended past retention fails the parent's call: it is another workflow.
 */
import { ErrorCode } from '../errors.js';
import type { JsonValue, ParentRef } from '../journal/index.js';
import type { Command } from './command.js';
import type { WorkflowEvent } from './effects.js';
import type { WorkflowState } from './state.js';

/** Open calls and pending timers a status answer lists at most, each (I1). */
export const DESCRIBE_ITEMS_MAX = 100;
/** Attempt errors listed per open call, and the characters of each message kept (I1). */
export const DESCRIBE_ERRORS_MAX = 3;
export const DESCRIBE_MESSAGE_MAX = 200;

/** The `childResult` command that tells `parent` how the child `ws` ended. */
export function childResultFor(ws: WorkflowState, parent: ParentRef): Command {
  if (ws.archived !== undefined) {
    // I2: a start for an id that ended long ago (past the cache's retention) gets no stale result.
    const message = `child id "${ws.id}" belongs to a workflow that ended (${ws.status}) long ago`;
    const error = { name: 'TerminalError', code: ErrorCode.ChildFailed, message, details: null };
    return {
      type: 'childResult',
      id: parent.workflowId,
      callSeq: parent.callSeq,
      childId: ws.id,
      outcome: { ok: false, error },
    };
  }
  // A cancelled child reports the cancel even if `error` still holds a divergence it recovered from.
  const failure = ws.status === 'cancelled' ? null : ws.error;
  const outcome =
    ws.status === 'completed'
      ? ({ ok: true, result: ws.result } as const)
      : ({
          ok: false,
          error: failure ?? {
            name: 'CancelledError',
            code: ErrorCode.Cancelled,
            message: `child workflow ${ws.id} was cancelled: ${ws.cancelReason ?? ''}`,
            details: null,
          },
        } as const);
  return { type: 'childResult', id: parent.workflowId, callSeq: parent.callSeq, childId: ws.id, outcome };
}

function firstItems<T>(items: Iterable<T>, max: number): { list: T[]; omitted: number } {
  const list: T[] = [];
  let omitted = 0;
  for (const item of items) {
    if (list.length < max) list.push(item);
    else omitted++;
  }
  return { list, omitted };
}

/** The bounded summary of a workflow's state (I1). */
export function summaryOf(ws: WorkflowState): JsonValue {
  const open = firstItems(ws.open, DESCRIBE_ITEMS_MAX);
  const timers = firstItems(ws.timers.values(), DESCRIBE_ITEMS_MAX);
  return {
    startedAtMs: ws.startedAtMs,
    updatedAtMs: ws.updatedAtMs,
    lastSeq: ws.lastSeq,
    callCount: ws.callCount,
    openCalls: open.list.map(([callSeq, c]) => ({
      callSeq,
      kind: c.kind,
      name: c.name,
      attempt: c.attempt,
      running: c.attemptOpen,
      retrying: c.retrying,
      errors: c.errors
        .slice(-DESCRIBE_ERRORS_MAX)
        .map((e) => ({ ...e, message: e.message.slice(0, DESCRIBE_MESSAGE_MAX) })),
    })),
    openCallsOmitted: open.omitted,
    recentCalls: ws.recent.map((c) => ({ ...c })),
    pendingTimers: timers.list.map((t) => ({ timerId: t.timerId, purpose: t.purpose, fireAtMs: t.fireAtMs })),
    pendingTimersOmitted: timers.omitted,
    signalsWaiting: ws.mailbox.length,
    cancelReason: ws.cancelReason,
  };
}

/** The `WorkflowStatus` event answering a query for `id` (I1). */
export function statusSummary(
  ws: WorkflowState | undefined,
  id: string,
  requestId: string,
  atMs: number,
): WorkflowEvent {
  if (ws === undefined) return { type: 'WorkflowStatus', id, requestId, atMs, status: 'unknown' };
  return {
    type: 'WorkflowStatus',
    id,
    requestId,
    atMs,
    status: ws.status,
    workflow: ws.workflow,
    summary: summaryOf(ws),
    ...(ws.status === 'completed' && ws.archived === undefined ? { result: ws.result } : {}),
    ...(ws.error === null ? {} : { error: ws.error }),
    ...(ws.archived === undefined ? {} : { archived: ws.archived }),
  };
}
