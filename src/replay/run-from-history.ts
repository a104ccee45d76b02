/**
 * A workflow run rebuilt from its journaled history, as a new owner rebuilds it after a takeover and as
 * `journal verify --workflows` replays it: the same construction for both, so what verify checks is what
 * an owner would do.
 *
 * I1. The history starts with its WorkflowStarted; anything else is no history (undefined).
 * I2. A history whose WorkflowStarted predates journal v3 replays in legacy mode (records.ts I3).
 * I3. The run holds every record as history before it starts; delivering them is the caller's loop.
 */
import type { JournalRecord } from '../journal/index.js';
import type { AnyWorkflowDefinition } from '../workflow/index.js';
import type { RunLimits, RunSink } from './run-types.js';
import { WorkflowRun } from './workflow-run.js';

/** A run of `definition` holding `history` (I1–I3), not started. */
export function runFromHistory(
  definition: AnyWorkflowDefinition,
  history: readonly JournalRecord[],
  sink: RunSink,
  limits: RunLimits,
): WorkflowRun | undefined {
  const started = history[0];
  if (started?.body.kind !== 'WorkflowStarted') return undefined; // I1
  const legacy = started.schemaVersion < 3; // I2
  const run = new WorkflowRun(
    definition,
    started.workflowId,
    started.body.input,
    started.atMs,
    legacy,
    sink,
    limits,
  );
  for (const record of history) run.addHistory(record); // I3
  return run;
}
