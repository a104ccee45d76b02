/**
 * What the web timeline shows of one journal record: a title, the step it belongs to, facts (attempt,
 * duration, fire time) and the values worth reading (inputs, results, errors, payloads). Plain data; the
 * page (html-timeline.ts) escapes and lays it out.
 *
 * I1. Every record kind is handled (the switch ends in assertNever), so a new kind does not compile until
 *     the timeline says something about it.
 * I2. Compensation steps (COMPENSATION_PREFIX) and CompensationStarted are marked as compensations.
 */
import type { ErrorData, JsonValue, RecordBody } from '../../journal/index.js';
import { assertNever, isCompensationStep } from '../../machine/index.js';

/** The look of an entry (a CSS class suffix). */
export type EntryTone =
  | 'start'
  | 'step'
  | 'step-ok'
  | 'step-failed'
  | 'timer'
  | 'signal'
  | 'compensation'
  | 'outcome'
  | 'other';

/** One timeline entry, before escaping. */
export interface TimelineEntry {
  readonly tone: EntryTone;
  readonly title: string;
  /** The step's name, for step records. */
  readonly step: string | null;
  readonly facts: readonly string[];
  readonly values: readonly (readonly [string, JsonValue])[];
  /** The error the record carries (a failure, a compensation's reason), shown as one line and details. */
  readonly error: ErrorData | null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function stepTone(name: string, tone: EntryTone): EntryTone {
  return isCompensationStep(name) ? 'compensation' : tone; // I2
}

/** The entry of a record's body (I1). */
export function timelineEntry(b: RecordBody): TimelineEntry {
  const entry = (
    tone: EntryTone,
    title: string,
    facts: string[] = [],
    values: [string, JsonValue][] = [],
  ): TimelineEntry => ({ tone, title, step: null, facts, values, error: null });
  const failure = (
    tone: EntryTone,
    title: string,
    error: ErrorData,
    facts: string[] = [],
  ): TimelineEntry => ({
    ...entry(tone, title, facts),
    error,
  });
  switch (b.kind) {
    case 'WorkflowStarted':
      return entry(
        'start',
        `Started ${b.workflow}`,
        b.parent === null ? [] : [`child of ${b.parent.workflowId}`],
        [['input', b.input]],
      );
    case 'StepStarted':
      return {
        ...entry(stepTone(b.name, 'step'), `Step ${b.name} started`, [`attempt ${b.attempt}`]),
        step: b.name,
      };
    case 'StepCompleted':
      return {
        ...entry(
          stepTone(b.name, 'step-ok'),
          `Step ${b.name} completed`,
          [`attempt ${b.attempt}`, `${b.durationMs} ms`],
          [['result', b.result]],
        ),
        step: b.name,
      };
    case 'StepFailed': {
      const retry = b.retryAtMs === null ? 'no retry' : `retry at ${iso(b.retryAtMs)}`;
      const facts = [`attempt ${b.attempt}`, `${b.durationMs} ms`, retry];
      return {
        ...failure(stepTone(b.name, 'step-failed'), `Step ${b.name} failed`, b.error, facts),
        step: b.name,
      };
    }
    case 'TimerScheduled':
      return entry('timer', `Timer ${b.timerId} scheduled (${b.purpose})`, [`fires at ${iso(b.fireAtMs)}`]);
    case 'TimerFired':
      return entry('timer', `Timer ${b.timerId} fired`);
    case 'SignalReceived':
      return entry('signal', `Signal ${b.name} received`, [], [['payload', b.payload]]);
    case 'SignalAwaited':
      return entry('signal', `Waiting for signal ${b.name}`);
    case 'SignalConsumed':
      return entry(
        'signal',
        `Signal ${b.name} taken`,
        [`received at seq ${b.signalSeq}`],
        [['payload', b.payload]],
      );
    case 'CancelRequested':
      return entry('outcome', 'Cancel requested', [], [['reason', b.reason]]);
    case 'CompensationStarted':
      return failure('compensation', 'Compensation started', b.reason, [
        `compensating ${b.steps.join(', ') || 'nothing'}`,
      ]);
    case 'ChildStarted':
      return entry('step', `Child ${b.childId} started (${b.workflow})`);
    case 'ChildCompleted':
      return b.outcome.ok
        ? entry('step-ok', `Child ${b.childId} completed`, [], [['result', b.outcome.result]])
        : failure('step-failed', `Child ${b.childId} failed`, b.outcome.error);
    case 'Emitted':
      return entry('other', `Emitted to ${b.topic}`, [`key ${b.key}`]);
    case 'WorkflowCompleted':
      return entry('outcome', 'Workflow completed', [], [['result', b.result]]);
    case 'WorkflowFailed':
      return failure('outcome', 'Workflow failed', b.error);
    case 'WorkflowCancelled':
      return entry('outcome', 'Workflow cancelled', [], [['reason', b.reason]]);
    case 'WorkflowStuck':
      return failure('outcome', 'Workflow stuck', b.error);
    case 'CommandRejected':
      return entry(
        'other',
        `Command rejected (${b.code})`,
        [`source offset ${b.sourceOffset}`],
        [['reason', b.reason]],
      );
    case 'OwnerClaimed':
      return entry('other', `Partition ${b.partition} claimed by ${b.executorId}`);
    case 'CommandsConsumed':
      return entry('other', `Commands consumed up to ${b.nextOffset}`);
    case 'CallRejected':
      return {
        ...failure('step-failed', `Call ${b.name} rejected (${b.callKind})`, b.error),
        step: b.name,
      };
    default:
      return assertNever(b, 'record kind');
  }
}
