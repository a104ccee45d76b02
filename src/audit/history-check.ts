/**
 * Checks that today's workflow code still fits a recorded history (`logbook journal verify --workflows`):
 * the history is replayed through the body exactly as a takeover replays it (replay/workflow-run.ts), and
 * the first call the body makes differently from the journal is reported, expected against found.
 *
 * I1. No side effects: nothing but the body runs. Steps are never executed — a step call settles from its
 *     journaled outcome, as every call of a replay does — and the intents the body reports go nowhere.
 * I2. A history is replayed one record at a time with a macrotask turn between records, as the owner
 *     delivers them (run-registry.ts I1), so a body sees the same order of settlements as it did live.
 * I3. Divergence is what the engine itself would find (the run parks as stuck with a NonDeterminismError)
 *     plus, for a history that ended, a body that now makes a call the journal does not hold, or ends
 *     another way (completes where the journal failed, say). A body still waiting when a history ends
 *     that had not ended is fine: the workflow is still running (or stuck) there.
 */
import { loopTurn as turn } from '../event-loop.js';
import type { JournalRecord, JsonValue, RecordKind } from '../journal/index.js';
import type { Intent } from '../machine/index.js';
import { defaultRunLimits, recordedCall, runFromHistory } from '../replay/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';

/** The first call where a body leaves its history. */
export interface Divergence {
  readonly workflowId: string;
  readonly workflow: string;
  /** The call number where it diverged; null when the workflow's ending differs. */
  readonly callSeq: number | null;
  /** What the journal holds there, e.g. `step "charge"`. */
  readonly expected: string;
  /** What the body does now, e.g. `step "refund"`. */
  readonly found: string;
}

/** Macrotask turns a body gets after the last record, to report its next call or its ending (I2). */
export const SETTLE_TURNS = 3;

const ENDINGS: Partial<Record<RecordKind, Intent['type']>> = {
  WorkflowCompleted: 'complete',
  WorkflowFailed: 'fail',
  WorkflowCancelled: 'cancelled',
};

const ENDING_WORDS: Readonly<Record<string, string>> = {
  complete: 'the workflow completes',
  fail: 'the workflow fails',
  cancelled: 'the workflow is cancelled',
};

/** `step "name"` for an intent that makes a call. */
function callText(intent: Intent): string {
  switch (intent.type) {
    case 'step':
    case 'signal':
      return `${intent.type} "${intent.name}"`;
    case 'rejected':
      return `${intent.callKind} "${intent.name}"`;
    case 'child':
      return `child "${intent.workflow}"`;
    case 'emit':
      return `emit "${intent.topic}"`;
    case 'sleep':
      return 'sleep "sleep"';
    case 'compensation':
      return 'compensation "compensation"';
    default:
      return intent.type;
  }
}

const text = (value: JsonValue | undefined): string => (typeof value === 'string' ? value : '');

/** The divergence a stuck intent reports (the run's NonDeterminismError details). */
function fromStuck(definition: AnyWorkflowDefinition, id: string, details: JsonValue): Divergence {
  const d = details !== null && typeof details === 'object' && !Array.isArray(details) ? details : {};
  const record = d as { readonly [k: string]: JsonValue };
  const callSeq = record.callSeq;
  return {
    workflowId: id,
    workflow: definition.name,
    callSeq: typeof callSeq === 'number' ? callSeq : null,
    expected: text(record.expected),
    found: text(record.actual),
  };
}

/** What an ended history's replay did beyond it (I3): a new call, or another ending. */
function beyondEnding(
  definition: AnyWorkflowDefinition,
  id: string,
  intents: readonly Intent[],
  last: JournalRecord,
  maxCallSeq: number,
): Divergence | undefined {
  const journaled = ENDINGS[last.body.kind];
  if (journaled === undefined) return undefined;
  const expected = ENDING_WORDS[journaled] ?? journaled;
  const extra = intents.find((i) => 'callSeq' in i && i.callSeq > maxCallSeq);
  if (extra !== undefined && 'callSeq' in extra) {
    const found = callText(extra);
    return { workflowId: id, workflow: definition.name, callSeq: extra.callSeq, expected, found };
  }
  const ending = intents.find((i) => !('callSeq' in i));
  if (ending === undefined || ending.type === journaled) return undefined;
  const found = ENDING_WORDS[ending.type] ?? ending.type;
  return { workflowId: id, workflow: definition.name, callSeq: null, expected, found };
}

/**
 * Replays `history` (one workflow's records, in journal order, starting with WorkflowStarted) through
 * `definition`'s body; returns the first divergence, or undefined when the body fits (I1–I3).
 */
export async function checkHistory(
  definition: AnyWorkflowDefinition,
  history: readonly JournalRecord[],
): Promise<Divergence | undefined> {
  const intents: Intent[] = [];
  const sink = { intent: (intent: Intent) => void intents.push(intent) }; // I1: reported, never decided
  const run = runFromHistory(definition, history, sink, defaultRunLimits); // as an owner rebuilds it
  if (run === undefined) return undefined;
  const id = run.workflowId;
  let maxCallSeq = 0;
  for (const record of history) maxCallSeq = Math.max(maxCallSeq, recordedCall(record)?.callSeq ?? 0);
  run.start();
  for (const record of history) {
    run.deliver(record);
    await turn(); // I2
  }
  for (let i = 0; i < SETTLE_TURNS; i++) await turn();
  const stuck = intents.find((i) => i.type === 'stuck');
  if (stuck?.type === 'stuck') return fromStuck(definition, id, stuck.error.details);
  const last = history.at(-1);
  return last === undefined ? undefined : beyondEnding(definition, id, intents, last, maxCallSeq);
}
