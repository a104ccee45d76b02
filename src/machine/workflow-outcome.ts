/**
 * Shapes derived from a workflow's state for the outside: the child result sent to a parent, and the
 * status summary a `query` command answers with.
 */
import type { Command } from '../commands/command.js';
import { ErrorCode } from '../errors.js';
import type { JsonValue, ParentRef } from '../journal/index.js';
import type { WorkflowEvent } from './effects.js';
import type { WorkflowState } from './state.js';

/** The `childResult` command that tells `parent` how the child `ws` ended. */
export function childResultFor(ws: WorkflowState, parent: ParentRef): Command {
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

/** The `WorkflowStatus` event answering a query for `id`. */
export function statusSummary(
  ws: WorkflowState | undefined,
  id: string,
  requestId: string,
  atMs: number,
): WorkflowEvent {
  if (ws === undefined) return { type: 'WorkflowStatus', id, requestId, atMs, status: 'unknown' };
  const steps: JsonValue[] = [...ws.calls].map(([callSeq, c]) => ({
    callSeq,
    kind: c.kind,
    name: c.name,
    status: c.status,
    attempt: c.attempt,
  }));
  const summary: JsonValue = {
    startedAtMs: ws.startedAtMs,
    updatedAtMs: ws.updatedAtMs,
    lastSeq: ws.lastSeq,
    calls: steps,
    pendingTimers: [...ws.timers.values()].map((t) => ({
      timerId: t.timerId,
      purpose: t.purpose,
      fireAtMs: t.fireAtMs,
    })),
    cancelReason: ws.cancelReason,
  };
  return {
    type: 'WorkflowStatus',
    id,
    requestId,
    atMs,
    status: ws.status,
    workflow: ws.workflow,
    summary,
    ...(ws.status === 'completed' ? { result: ws.result } : {}),
    ...(ws.error === null ? {} : { error: ws.error }),
  };
}
