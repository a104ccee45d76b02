/**
 * What the admin server's own routes (health, metrics, partitions) read of the executor, beyond the
 * read-only ExecutorView every route module gets: the assignment, the owners' positions and the command
 * topic's watermarks.
 *
 * I1. Read-only, like ExecutorView (executor-view.ts I1).
 */
import type { Logger } from '../logging/index.js';
import type { OwnerPositions } from '../partition/index.js';
import type { ExecutorView } from './executor-view.js';

/** The executor as the admin server's own routes see it (I1). */
export interface AdminSource {
  readonly view: ExecutorView;
  readonly logger: Logger;
  /** The partitions the group assigned here; undefined before the first assignment. */
  assignedPartitions(): ReadonlySet<number> | undefined;
  /** The positions of partition `p`'s owner, while one exists here. */
  positions(p: number): OwnerPositions | undefined;
  /** The command topic's high watermarks by partition, from the broker (the partitions route caches them). */
  commandHighWatermarks(): Promise<ReadonlyMap<number, number>>;
}
