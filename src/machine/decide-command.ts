/**
 * Decisions for commands (start, signal, cancel, query, childResult) and for commands that failed to decode.
 *
 * I1. Start is idempotent on workflow id: a second start of a known id writes nothing (DESIGN §5); a child
 *     start of an id that already finished answers its parent at once, so the parent never hangs.
 * I3. A child start that cannot run (its workflow is not registered, or its id is taken by a workflow that
 *     is not this parent's child) fails the parent's call at once, so the parent never waits forever.
 * I2. A command that cannot apply (unknown workflow name, signal or cancel for an unknown or finished id)
 *     goes to the DLQ with its reason, and is journaled as CommandRejected when it names a workflow.
 */
import type { Command } from '../commands/command.js';
import { ErrorCode } from '../errors.js';
import type { ParentRef } from '../journal/index.js';
import type { Decision } from './decision.js';
import type { Input, RawMessage } from './inputs.js';
import { isTerminal, type PartitionState, type WorkflowState } from './state.js';
import { childResultFor, statusSummary } from './workflow-outcome.js';

/** What decide needs besides state and input. */
export interface DecideContext {
  readonly nowMs: number;
  /** The owner's epoch (its claim's journal offset), stamped on every record; 0 under transactional fencing only. */
  readonly epoch?: number;
  /** Names of the workflows this executor can run. */
  readonly workflows: ReadonlySet<string>;
}

type BadCommand = Extract<Input, { kind: 'badCommand' }>;

/** Sends a command to the DLQ and, when it names a workflow, journals the rejection (I2). */
export function reject(state: PartitionState, d: Decision, bad: Omit<BadCommand, 'kind'>): void {
  d.effects.deadLetters.push({
    code: bad.code,
    reason: bad.reason,
    offset: bad.offset,
    key: bad.key,
    value: bad.value,
  });
  if (bad.workflowId === null) return;
  const body = {
    kind: 'CommandRejected',
    code: bad.code,
    reason: bad.reason,
    sourceOffset: bad.offset,
  } as const;
  const ws = state.get(bad.workflowId);
  if (ws === undefined) d.unsequenced(bad.workflowId, body);
  else d.record(ws, body);
}

/** A decoded command being decided, with its source position and bytes. */
interface Source {
  readonly offset: string;
  readonly raw: RawMessage;
}

function rejectCommand(
  state: PartitionState,
  d: Decision,
  command: Command,
  src: Source,
  code: string,
  reason: string,
): void {
  reject(state, d, {
    code,
    reason,
    offset: src.offset,
    workflowId: command.id,
    key: src.raw.key,
    value: src.raw.value,
  });
}

function start(
  state: PartitionState,
  d: Decision,
  c: Extract<Command, { type: 'start' }>,
  src: Source,
  ctx: DecideContext,
): void {
  const existing = state.get(c.id);
  if (existing !== undefined) {
    if (c.parent !== null && isTerminal(existing.status))
      d.effects.commands.push(childResultFor(existing, c.parent));
    else if (c.parent !== null && !sameParent(existing.parent, c.parent)) {
      // I3: the id is taken by a running workflow that is not this parent's child.
      const message = `child id "${c.id}" is already used by another running workflow`;
      d.effects.commands.push(childFailure(c.parent, c.id, ErrorCode.ChildFailed, message));
    }
    // A client waiting on this start learns at once how the finished workflow ended.
    if (isTerminal(existing.status))
      d.effects.events.push(statusSummary(existing, c.id, 'duplicate-start', ctx.nowMs));
    return; // I1
  }
  if (!ctx.workflows.has(c.workflow)) {
    const known = [...ctx.workflows].sort().join(', ') || '(none)';
    rejectCommand(
      state,
      d,
      c,
      src,
      ErrorCode.CommandUnknownWorkflow,
      `No workflow named "${c.workflow}" is registered; known: ${known}.`,
    );
    if (c.parent !== null) {
      const message = `child workflow "${c.workflow}" is not registered on the executor that owns "${c.id}"`;
      d.effects.commands.push(childFailure(c.parent, c.id, ErrorCode.CommandUnknownWorkflow, message)); // I3
    }
    return;
  }
  d.record(c.id, {
    kind: 'WorkflowStarted',
    workflow: c.workflow,
    input: c.input,
    idempotencyKey: c.idempotency,
    parent: c.parent,
  });
}

function sameParent(a: ParentRef | null, b: ParentRef): boolean {
  return a !== null && a.workflowId === b.workflowId && a.callSeq === b.callSeq;
}

/** The childResult that fails a parent's child call (I3). */
function childFailure(parent: ParentRef, childId: string, code: string, message: string): Command {
  const error = { name: 'TerminalError', code, message, details: null };
  return {
    type: 'childResult',
    id: parent.workflowId,
    callSeq: parent.callSeq,
    childId,
    outcome: { ok: false, error },
  };
}

function live(state: PartitionState, d: Decision, c: Command, src: Source): WorkflowState | undefined {
  const ws = state.get(c.id);
  if (ws === undefined) {
    rejectCommand(
      state,
      d,
      c,
      src,
      ErrorCode.CommandNoSuchWorkflow,
      `No workflow with id "${c.id}" exists on this partition.`,
    );
    return undefined;
  }
  if (isTerminal(ws.status)) {
    rejectCommand(
      state,
      d,
      c,
      src,
      ErrorCode.CommandWorkflowFinished,
      `Workflow "${c.id}" already ended (${ws.status}); the ${c.type} has no effect.`,
    );
    return undefined;
  }
  return ws;
}

function signal(
  state: PartitionState,
  d: Decision,
  c: Extract<Command, { type: 'signal' }>,
  src: Source,
): void {
  const ws = live(state, d, c, src);
  if (ws === undefined) return;
  const received = d.record(ws, { kind: 'SignalReceived', name: c.name, payload: c.payload });
  const waiter = [...ws.awaiting].filter(([, name]) => name === c.name).sort(([a], [b]) => a - b)[0];
  if (waiter !== undefined) {
    d.record(ws, {
      kind: 'SignalConsumed',
      callSeq: waiter[0],
      name: c.name,
      signalSeq: received.seq,
      payload: c.payload,
    });
  }
}

function cancel(
  state: PartitionState,
  d: Decision,
  c: Extract<Command, { type: 'cancel' }>,
  src: Source,
  nowMs: number,
): void {
  const ws = live(state, d, c, src);
  if (ws === undefined || ws.cancelReason !== null) return;
  d.record(ws, { kind: 'CancelRequested', reason: c.reason });
  if (ws.status === 'stuck') {
    // A stuck body cannot run its compensations; the cancel ends it as it stands.
    d.record(ws, { kind: 'WorkflowCancelled', reason: c.reason });
    d.effects.events.push({ type: 'WorkflowCancelled', id: ws.id, workflow: ws.workflow, atMs: nowMs });
    // A parent waits on this child's outcome; no body will send it, so answer here.
    if (ws.parent !== null) {
      d.effects.commands.push(
        childResultFor({ ...ws, status: 'cancelled', cancelReason: c.reason }, ws.parent),
      );
    }
  }
}

/** Decides the effects of one decoded command. */
export function decideCommand(
  state: PartitionState,
  d: Decision,
  command: Command,
  src: Source,
  ctx: DecideContext,
): void {
  switch (command.type) {
    case 'start':
      start(state, d, command, src, ctx);
      return;
    case 'signal':
      signal(state, d, command, src);
      return;
    case 'cancel':
      cancel(state, d, command, src, ctx.nowMs);
      return;
    case 'query': {
      const ws = state.get(command.id);
      d.effects.events.push(statusSummary(ws, command.id, command.requestId, ctx.nowMs));
      return;
    }
    case 'childResult': {
      const ws = state.get(command.id);
      const call = ws?.calls.get(command.callSeq);
      if (ws === undefined || isTerminal(ws.status) || call === undefined || call.status === 'done') return;
      d.record(ws, {
        kind: 'ChildCompleted',
        callSeq: command.callSeq,
        childId: command.childId,
        outcome: command.outcome,
      });
      return;
    }
  }
}
