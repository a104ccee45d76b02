/**
 * What the web timeline shows of one journal record: a title, the step it belongs to, facts (attempt,
 * duration, fire time), the values worth reading (inputs, results, payloads) and the error it carries.
 * Plain data; the page (html-timeline.ts) escapes and lays it out.
 *
 * I1. Every record kind has an entry: the map is typed `{ [K in RecordKind]: … }`, so a new kind does not
 *     compile until the timeline says something about it (STYLE §2).
 * I2. Compensation steps (COMPENSATION_PREFIX) and CompensationStarted are marked as compensations.
 */
import type { BodyOf, ErrorData, JsonValue, RecordBody, RecordKind } from '../../journal/index.js';
import { isCompensationStep } from '../../machine/index.js';

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

function entry(
  tone: EntryTone,
  title: string,
  facts: readonly string[] = [],
  values: readonly (readonly [string, JsonValue])[] = [],
): TimelineEntry {
  return { tone, title, step: null, facts, values, error: null };
}

function failure(
  tone: EntryTone,
  title: string,
  error: ErrorData,
  facts: readonly string[] = [],
): TimelineEntry {
  return { ...entry(tone, title, facts), error };
}

/** A step record's entry: marked as a compensation when the step is one (I2). */
function stepEntry(name: string, tone: EntryTone, made: TimelineEntry): TimelineEntry {
  return { ...made, tone: isCompensationStep(name) ? 'compensation' : tone, step: name };
}

type EntryMap = { readonly [K in RecordKind]: (body: BodyOf<K>) => TimelineEntry };

/** The entry of each record kind (I1). */
const ENTRIES: EntryMap = {
  WorkflowStarted: (b) =>
    entry('start', `Started ${b.workflow}`, b.parent === null ? [] : [`child of ${b.parent.workflowId}`], [
      ['input', b.input],
    ]),
  StepStarted: (b) =>
    stepEntry(b.name, 'step', entry('step', `Step ${b.name} started`, [`attempt ${b.attempt}`])),
  StepCompleted: (b) =>
    stepEntry(
      b.name,
      'step-ok',
      entry(
        'step-ok',
        `Step ${b.name} completed`,
        [`attempt ${b.attempt}`, `${b.durationMs} ms`],
        [['result', b.result]],
      ),
    ),
  StepFailed: (b) => {
    const retry = b.retryAtMs === null ? 'no retry' : `retry at ${iso(b.retryAtMs)}`;
    const facts = [`attempt ${b.attempt}`, `${b.durationMs} ms`, retry];
    return stepEntry(b.name, 'step-failed', failure('step-failed', `Step ${b.name} failed`, b.error, facts));
  },
  TimerScheduled: (b) =>
    entry('timer', `Timer ${b.timerId} scheduled (${b.purpose})`, [`fires at ${iso(b.fireAtMs)}`]),
  TimerFired: (b) => entry('timer', `Timer ${b.timerId} fired`),
  SignalReceived: (b) => entry('signal', `Signal ${b.name} received`, [], [['payload', b.payload]]),
  SignalAwaited: (b) => entry('signal', `Waiting for signal ${b.name}`),
  SignalConsumed: (b) =>
    entry('signal', `Signal ${b.name} taken`, [`received at seq ${b.signalSeq}`], [['payload', b.payload]]),
  CancelRequested: (b) => entry('outcome', 'Cancel requested', [], [['reason', b.reason]]),
  CompensationStarted: (b) =>
    failure('compensation', 'Compensation started', b.reason, [
      `compensating ${b.steps.join(', ') || 'nothing'}`,
    ]),
  ChildStarted: (b) => entry('step', `Child ${b.childId} started (${b.workflow})`),
  ChildCompleted: (b) =>
    b.outcome.ok
      ? entry('step-ok', `Child ${b.childId} completed`, [], [['result', b.outcome.result]])
      : failure('step-failed', `Child ${b.childId} failed`, b.outcome.error),
  Emitted: (b) => entry('other', `Emitted to ${b.topic}`, [`key ${b.key}`]),
  WorkflowCompleted: (b) => entry('outcome', 'Workflow completed', [], [['result', b.result]]),
  WorkflowFailed: (b) => failure('outcome', 'Workflow failed', b.error),
  WorkflowCancelled: (b) => entry('outcome', 'Workflow cancelled', [], [['reason', b.reason]]),
  WorkflowStuck: (b) => failure('outcome', 'Workflow stuck', b.error),
  CommandRejected: (b) =>
    entry(
      'other',
      `Command rejected (${b.code})`,
      [`source offset ${b.sourceOffset}`],
      [['reason', b.reason]],
    ),
  OwnerClaimed: (b) => entry('other', `Partition ${b.partition} claimed by ${b.executorId}`),
  CommandsConsumed: (b) => entry('other', `Commands consumed up to ${b.nextOffset}`),
  CallRejected: (b) =>
    stepEntry(
      b.name,
      'step-failed',
      failure('step-failed', `Call ${b.name} rejected (${b.callKind})`, b.error),
    ),
};

/** The entry of a record's body (I1). */
export function timelineEntry(body: RecordBody): TimelineEntry {
  // TypeScript cannot correlate `body.kind` with the map's parameter type; the map's type guarantees it.
  const make = ENTRIES[body.kind] as (b: RecordBody) => TimelineEntry;
  return make(body);
}
