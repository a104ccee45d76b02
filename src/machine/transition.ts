/**
 * The workflow lifecycle as a table of legal transitions, checked in one place (STYLE §2).
 *
 * I1. Terminal statuses have no way out: a finished workflow never runs again.
 * I2. `stuck` may go back to `running` when a fixed deployment replays past the divergence, or end at once:
 *     replayed calls write nothing, so a fixed body that returns right after its recorded calls writes
 *     WorkflowCompleted while the workflow is still `stuck`.
 */
import { assertBug } from './assert.js';
import type { WorkflowStatus } from './state.js';

const legal: { readonly [S in WorkflowStatus]: readonly WorkflowStatus[] } = {
  running: ['running', 'stuck', 'completed', 'failed', 'cancelled'],
  stuck: ['stuck', 'running', 'completed', 'failed', 'cancelled'], // I2
  completed: [],
  failed: [],
  cancelled: [],
};

/** Returns `to` if the lifecycle allows `from → to`; a bug (assert) otherwise. */
export function transition(from: WorkflowStatus, to: WorkflowStatus, workflowId: string): WorkflowStatus {
  assertBug(legal[from].includes(to), `illegal workflow transition ${from} → ${to} for ${workflowId}`);
  return to;
}
