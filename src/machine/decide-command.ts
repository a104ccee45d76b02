/**
 * Decisions for commands (start, signal, cancel, query, childResult) and for commands that failed to decode.
 *
 * I1. Start is idempotent on workflow id: a second start of a known id writes nothing (DESIGN §5); a child
 *     start of an id that already finished answers its parent at once, so the parent never hangs.
 * I2. A command that cannot apply (unknown workflow name, signal or cancel for an unknown or finished id, a
 *     signal for a full mailbox) goes to the DLQ with its reason, and is journaled as CommandRejected when
 *     it names a workflow: in its sequence while it runs, outside it (seq 0) otherwise.
 * I3. A child start that cannot run (its workflow is not registered, or its id is taken by a workflow that
 *     is not this parent's child) fails the parent's call at once, so the parent never waits forever.
 * I4. The cancel rule lives here: a cancel rejects every open call but compensation steps, which also
 *     drops their timers and waits (apply.ts I4); calls made after it are rejected as they come
 *     (decide-intent.ts). A stuck body cannot compensate, so a stuck workflow is cancelled at once.
 */
import { ErrorCode } from '../errors.js';
import type { ParentRef, TraceContext } from '../journal/index.js';
import type { Command } from './command.js';
import type { Decision } from './decision.js';
import type { Input, RawMessage } from './inputs.js';
import { cancelledError, type MachineLimits } from './limits.js';
import { isTerminal, type PartitionState, type WorkflowState } from './state.js';
import { childResultFor, statusSummary } from './workflow-outcome.js';

/** What decide needs besides state and input. */
export interface DecideContext {
  readonly nowMs: number;
  /** The owner's epoch (its claim's journal offset), stamped on every record; 0 under transactional fencing only. */
  readonly epoch?: number;
  /** Names of the workflows this executor can run. */
  readonly workflows: ReadonlySet<string>;
  readonly limits: MachineLimits;
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
  if (ws === undefined || isTerminal(ws.status)) d.unsequenced(bad.workflowId, body);
  else d.record(ws, body);
}

/** A decoded command being decided, with its source position, bytes and trace context. */
interface Source {
  readonly offset: string;
  readonly raw: RawMessage;
  readonly trace?: TraceContext | undefined;
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
    trace: src.trace ?? null,
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

/** The oldest open wait for signal `name`, if any. */
function oldestWaiter(ws: WorkflowState, name: string): number | undefined {
  let oldest: number | undefined;
  for (const [callSeq, waiting] of ws.awaiting) {
    if (waiting === name && (oldest === undefined || callSeq < oldest)) oldest = callSeq;
  }
  return oldest;
}

/** Why a signal cannot be held, or undefined when the mailbox has room (I2). */
function mailboxFull(ws: WorkflowState, payloadBytes: number, limits: MachineLimits): string | undefined {
  if (ws.mailbox.length >= limits.mailboxMax)
    return `Workflow "${ws.id}" already holds ${ws.mailbox.length} unconsumed signals (mailboxMax ${limits.mailboxMax}).`;
  const held = ws.mailbox.reduce((sum, s) => sum + s.bytes, 0);
  if (held + payloadBytes > limits.mailboxBytesMax)
    return `Workflow "${ws.id}" holds ${held} bytes of unconsumed signals; ${payloadBytes} more would pass mailboxBytesMax (${limits.mailboxBytesMax}).`;
  return undefined;
}

function signal(
  state: PartitionState,
  d: Decision,
  c: Extract<Command, { type: 'signal' }>,
  src: Source,
  limits: MachineLimits,
): void {
  const ws = live(state, d, c, src);
  if (ws === undefined) return;
  const waiter = oldestWaiter(ws, c.name);
  const full =
    waiter === undefined
      ? mailboxFull(ws, Buffer.byteLength(JSON.stringify(c.payload), 'utf8'), limits)
      : undefined;
  if (full !== undefined) {
    rejectCommand(state, d, c, src, ErrorCode.CommandMailboxFull, full);
    return;
  }
  const received = d.record(ws, { kind: 'SignalReceived', name: c.name, payload: c.payload });
  if (waiter !== undefined) {
    d.record(ws, {
      kind: 'SignalConsumed',
      callSeq: waiter,
      name: c.name,
      signalSeq: received.seq,
      payload: c.payload,
      parentSeq: -1,
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
  if (ws === undefined) return;
  if (ws.cancelReason !== null && ws.status !== 'stuck') return; // one cancel is enough while it can unwind
  if (ws.cancelReason === null) d.record(ws, { kind: 'CancelRequested', reason: c.reason });
  for (const [callSeq, call] of [...ws.open]) {
    if (call.compensation) continue; // I4
    const error = cancelledError(c.reason);
    d.record(ws, {
      kind: 'CallRejected',
      callSeq,
      callKind: call.kind,
      name: call.name,
      error,
      parentSeq: -1,
    });
  }
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
      signal(state, d, command, src, ctx.limits);
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
      const call = ws?.open.get(command.callSeq);
      if (ws === undefined || isTerminal(ws.status) || call === undefined || call.kind !== 'child') return;
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
