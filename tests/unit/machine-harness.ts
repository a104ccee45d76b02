/**
 * Shared harness for the machine's unit tests (not a test file itself): one partition driven the way
 * src/partition/tick.ts drives it (decide, then apply the decision's records before the next input), a
 * timer observer that logs what it is told, and builders for inputs, journal records and errors.
 */
import { expect } from 'vitest';
import type { ErrorData, JournalRecord, RecordBody } from '../../src/journal/index.js';
import {
  applyRecord,
  type Command,
  defaultMachineLimits,
  type Effects,
  type Input,
  type Intent,
  type MachineLimits,
  noEffects,
  type PartitionState,
  type RetryPolicy,
  type StepOutcome,
  type TimerObserver,
  type WorkflowState,
} from '../../src/machine/index.js';
import { runTick } from '../../src/partition/tick.js';

export const T0 = 1_700_000_000_000;
export const WORKFLOWS: ReadonlySet<string> = new Set(['order', 'ship']);
export const POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialIntervalMs: 100,
  backoffCoefficient: 2,
  maxIntervalMs: 30_000,
};
export const boom: ErrorData = { name: 'Error', code: 'LB_STEP_FAILED', message: 'boom', details: null };
export const diverged: ErrorData = {
  name: 'NonDeterminismError',
  code: 'LB_NON_DETERMINISM',
  message: 'diverged',
  details: null,
};

type ParentRef = { workflowId: string; callSeq: number };

/** A TimerObserver that logs "armed <id>" / "removed <id>" in the order it is told. */
export class TimerLog implements TimerObserver {
  readonly events: string[] = [];
  armed(_ws: WorkflowState, timer: { timerId: string }): void {
    this.events.push(`armed ${timer.timerId}`);
  }
  removed(_ws: WorkflowState, timer: { timerId: string }): void {
    this.events.push(`removed ${timer.timerId}`);
  }
}

/** One partition: state plus every record written, fed inputs tick by tick as the owner does. */
export class Partition {
  readonly state: PartitionState & Map<string, WorkflowState> = new Map();
  readonly written: JournalRecord[] = [];
  readonly timers = new TimerLog();
  private offset = 0;

  constructor(readonly limits: MachineLimits = defaultMachineLimits) {}

  /** Runs one tick with `inputs` at `nowMs` (no byte budget) and returns its effects. */
  tick(nowMs: number, ...inputs: Input[]): Effects {
    const ctx = { nowMs, workflows: WORKFLOWS, limits: this.limits };
    const { effects, taken } = runTick(this.state, inputs, ctx, Number.POSITIVE_INFINITY, this.timers, true);
    expect(taken).toBe(inputs.length);
    this.written.push(...effects.records);
    return effects;
  }

  /** A command input with its own offset and raw bytes. */
  command(command: Command): Input {
    const offset = String(this.offset++);
    return {
      kind: 'command',
      command,
      offset,
      raw: { key: Buffer.from(command.id), value: Buffer.from(JSON.stringify(command)) },
    };
  }

  workflow(id: string): WorkflowState {
    const ws = this.state.get(id);
    if (ws === undefined) throw new Error(`no workflow ${id}`);
    return ws;
  }

  /** Starts `id` (workflow "order") at T0. */
  started(id: string, parent: ParentRef | null = null): this {
    this.tick(T0, this.command(startCommand(id, 'order', parent)));
    return this;
  }

  /** Journals step call `callSeq` (attempt 1) through its intent, as a body making the call does. */
  stepped(id: string, callSeq: number, name = 'charge', atMs = T0): this {
    this.tick(atMs, stepIntent(id, callSeq, name));
    return this;
  }
}

export function startCommand(id: string, workflow = 'order', parent: ParentRef | null = null): Command {
  return { type: 'start', workflow, id, input: { sku: 'A' }, idempotency: null, parent };
}

export function intent(workflowId: string, i: Intent): Input {
  return { kind: 'intent', workflowId, intent: i };
}

/** A step intent as the body reports it; `attemptActive` as the owner's edge sets it. */
export function stepIntent(
  workflowId: string,
  callSeq: number,
  name = 'charge',
  attemptActive = false,
  parentSeq = 0,
): Input {
  return intent(workflowId, { type: 'step', callSeq, name, parentSeq, attemptActive });
}

export function stepOutcome(
  workflowId: string,
  callSeq: number,
  attempt: number,
  outcome: StepOutcome,
  retry = POLICY,
  name = 'charge',
): Input {
  return {
    kind: 'stepOutcome',
    workflowId,
    callSeq,
    name,
    attempt,
    startedAtMs: T0,
    durationMs: 5,
    outcome,
    retry,
    jitter: 0.5, // factor exactly 1: the nominal delay
  };
}

export function timerDue(workflowId: string, timerId: string): Input {
  return { kind: 'timerDue', workflowId, timerId };
}

export const failed = (retriable: boolean, message = 'boom'): StepOutcome => ({
  ok: false,
  retriable,
  error: { ...boom, message },
});

export function bodies(effects: Effects): RecordBody[] {
  return effects.records.map((r) => r.body);
}

export function kinds(effects: Effects): string[] {
  return effects.records.map((r) => r.body.kind);
}

export function expectNothing(effects: Effects): void {
  expect(effects).toEqual(noEffects());
}

/** Records of one workflow, numbered firstSeq, firstSeq + 1, … one ms apart. */
export function journal(
  workflowId: string,
  list: readonly RecordBody[],
  options: { schemaVersion?: number; firstSeq?: number } = {},
): JournalRecord[] {
  const { schemaVersion = 3, firstSeq = 1 } = options;
  return list.map((body, i) => ({
    schemaVersion,
    workflowId,
    seq: firstSeq + i,
    atMs: T0 + firstSeq + i,
    body,
  }));
}

/** Folds `records` into a fresh partition state. */
export function fold(
  records: readonly JournalRecord[],
  observer?: TimerObserver,
): PartitionState & Map<string, WorkflowState> {
  const state = new Map<string, WorkflowState>();
  for (const record of records) applyRecord(state, record, observer);
  return state;
}

export const startedBody: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'order',
  input: { sku: 'A' },
  idempotencyKey: 'k',
  parent: null,
  trace: null,
};

/** Record bodies for one step call: StepStarted, then StepCompleted. */
export function stepBodies(callSeq: number, name = 'charge', attempt = 1): RecordBody[] {
  return [
    { kind: 'StepStarted', callSeq, name, attempt, parentSeq: callSeq - 1 },
    { kind: 'StepCompleted', callSeq, name, result: callSeq, attempt, startedAtMs: T0, durationMs: 1 },
  ];
}
