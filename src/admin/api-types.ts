/**
 * The JSON the admin API answers, shared by the routes that build it and the CLI (`logbook list`) that
 * reads it. Times are ISO-8601 strings; absent values are null, never missing keys.
 *
 * I1. Append only: a field, once answered, keeps its name and meaning (scripts read these).
 */

/** A workflow's status as the admin API and `logbook list` name it. */
export type WorkflowStatusName = 'running' | 'stuck' | 'failed' | 'completed' | 'cancelled';

/** Every status, in the order lists and filters show them. */
export const WORKFLOW_STATUSES: readonly WorkflowStatusName[] = [
  'running',
  'stuck',
  'failed',
  'completed',
  'cancelled',
];

/** One workflow in a list. */
export interface WorkflowSummaryJson {
  readonly id: string;
  readonly workflow: string;
  readonly status: WorkflowStatusName;
  readonly partition: number;
  readonly startedAt: string | null;
  readonly updatedAt: string | null;
}

/** `GET /api/workflows?status=&workflow=&limit=&cursor=`: one page; `nextCursor` null on the last. */
export interface WorkflowPageJson {
  readonly items: readonly WorkflowSummaryJson[];
  readonly nextCursor: string | null;
}
