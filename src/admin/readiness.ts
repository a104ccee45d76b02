/**
 * Readiness of an executor (`GET /readyz`), as a pure function of its assignment and its partitions'
 * reports, so each reason is tested without a broker.
 *
 * I1. Not ready before the first assignment: an executor that has not joined its group serves nothing.
 * I2. Ready only when every assigned partition's owner runs (it has claimed and caught up) and none is
 *     failing. An assigned partition without a report (its first owner is still being made) is not ready:
 *     readiness never passes because something is missing.
 * I3. An executor assigned no partition (more executors than partitions) is ready once it joined.
 */
import type { PartitionReport } from './executor-view.js';

/** One partition's readiness and, when not ready, why. */
export interface PartitionReadiness {
  readonly partition: number;
  readonly ready: boolean;
  readonly reason: string | null;
}

/** An executor's readiness: ready, or the reasons per partition. */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string | null;
  readonly partitions: readonly PartitionReadiness[];
}

/** Why partition `p` is not ready, or null when it is (I2). */
export function partitionNotReady(report: PartitionReport | undefined): string | null {
  if (report === undefined) return 'claiming: its owner is being made';
  if (report.slot === 'backoff')
    return `owner failed, backing off before the next one: ${report.slotError ?? 'unknown error'}`;
  if (report.failing !== null)
    return `failing: ${report.failing.lastError} (${report.failing.attempts} attempts)`;
  if (report.phase === 'starting') {
    if (report.catchUpEndOffset < 0) return 'claiming: writing its claim';
    const end = report.catchUpEndOffset - 1;
    const left = Math.max(0, end - report.catchUpOffset);
    return `catching up: journal offset ${report.catchUpOffset} of ${end} (${left} records to go)`;
  }
  if (report.phase !== 'running' || report.slot !== 'owned') return `owner ${report.phase}`;
  return null;
}

/** The executor's readiness (I1–I3). */
export function readiness(
  assigned: ReadonlySet<number> | undefined,
  reports: ReadonlyMap<number, PartitionReport>,
): Readiness {
  if (assigned === undefined)
    return { ready: false, reason: 'no partition assignment yet: joining the group', partitions: [] }; // I1
  const partitions = [...assigned]
    .sort((a, b) => a - b)
    .map((partition) => {
      const reason = partitionNotReady(reports.get(partition));
      return { partition, ready: reason === null, reason };
    });
  const notReady = partitions.filter((p) => !p.ready).length;
  const reason = notReady === 0 ? null : `${notReady} of ${partitions.length} partitions not ready`;
  return { ready: notReady === 0, reason, partitions }; // I3: no partitions, ready
}
