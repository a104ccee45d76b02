/**
 * The JSON of `GET /api/partitions`: one entry per partition assigned to the executor, built purely from
 * the partition's report, its owner's positions and the command topic's high watermark.
 *
 * I1. Append only, like api-types.ts I1: scripts read these fields. Absent values are null, never missing;
 *     times are ISO-8601.
 * I2. `commandLag` is the high watermark minus the next command offset the journal accounts for: commands
 *     on the topic this partition's journal has not consumed yet. Null when either is unknown.
 */
import type { OwnerPositions } from '../partition/index.js';
import { catchUpLag, isFailing } from './admin-metrics.js';
import type { PartitionReport } from './executor-view.js';
import { partitionNotReady } from './readiness.js';

/** Why a partition's owner is failing now. */
export interface PartitionFailingJson {
  readonly reason: string;
  /** Attempts of the write being retried; null when the owner itself failed and is being replaced. */
  readonly attempts: number | null;
  readonly since: string | null;
  readonly nextRetryAt: string | null;
}

/** One partition in `GET /api/partitions` (I1). */
export interface PartitionJson {
  readonly partition: number;
  /** The owner's phase (starting, running, stopping, …), or the slot's state while there is no owner. */
  readonly phase: string;
  /** The slot's state: idle, starting, owned, stopping, backoff. */
  readonly slot: string;
  readonly ready: boolean;
  readonly reason: string | null;
  readonly journalOffset: number | null;
  readonly confirmedOffset: number | null;
  readonly nextCommandOffset: number | null;
  readonly commandHighWatermark: number | null;
  readonly commandLag: number | null;
  readonly catchUp: {
    readonly journalOffset: number | null;
    readonly endOffset: number | null;
    readonly recordsToGo: number | null;
    readonly recordsFolded: number | null;
    readonly ms: number | null;
  };
  readonly failing: PartitionFailingJson | null;
  readonly workflowsStarted: number;
  readonly workflowsFinished: number;
  readonly hotWorkflows: number;
  readonly timersPending: number;
  readonly timersInMemory: number;
}

/** `GET /api/partitions`. */
export interface PartitionsJson {
  readonly executorId: string;
  readonly namespace: string;
  /** Why the watermarks could not be fetched (the lags are null then); null when they were. */
  readonly watermarkError: string | null;
  readonly partitions: readonly PartitionJson[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function failingJson(report: PartitionReport): PartitionFailingJson | null {
  if (!isFailing(report)) return null;
  const f = report.failing;
  if (f === null)
    return { reason: report.slotError ?? 'unknown', attempts: null, since: null, nextRetryAt: null };
  return {
    reason: f.lastError,
    attempts: f.attempts,
    since: iso(f.sinceMs),
    nextRetryAt: iso(f.nextRetryAtMs),
  };
}

/** One partition's JSON (I1, I2); `report` undefined while its first owner is being made. */
export function partitionJson(
  partition: number,
  report: PartitionReport | undefined,
  positions: OwnerPositions | undefined,
  high: number | undefined,
): PartitionJson {
  const next = positions?.nextCommandOffset;
  const reason = partitionNotReady(report);
  const catchUpEnd = report === undefined || report.catchUpEndOffset < 0 ? null : report.catchUpEndOffset;
  return {
    partition,
    phase: report?.phase ?? 'starting',
    slot: report?.slot ?? 'starting',
    ready: reason === null,
    reason,
    journalOffset: positions?.journalOffset ?? null,
    confirmedOffset: positions?.confirmedOffset ?? null,
    nextCommandOffset: next ?? null,
    commandHighWatermark: high ?? null,
    commandLag: high === undefined || next === undefined ? null : Math.max(0, high - next), // I2
    catchUp: {
      journalOffset: report?.catchUpOffset ?? null,
      endOffset: catchUpEnd,
      recordsToGo: report === undefined ? null : catchUpLag(report),
      recordsFolded: report?.catchUpRecords ?? null,
      ms: report?.catchUpMs ?? null,
    },
    failing: report === undefined ? null : failingJson(report),
    workflowsStarted: report?.workflowsStarted ?? 0,
    workflowsFinished: report?.workflowsFinished ?? 0,
    hotWorkflows: report?.hotWorkflows ?? 0,
    timersPending: report?.timersPending ?? 0,
    timersInMemory: report?.timersInMemory ?? 0,
  };
}
