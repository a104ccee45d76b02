/** A partition owner's limits and counters (STYLE §5: every limit is named config with a unit). */

/** Limits and knobs of a partition owner, all named with units (STYLE §5). */
export interface OwnerLimits {
  /** How often the consumer group's committed offset is brought up to the journaled one (partition-owner.ts I7). */
  readonly offsetCommitIntervalMs: number;
  /** How long a tick waits for more inputs before it commits (0: commit as soon as the last one ended). */
  readonly tickLingerMs: number;
  readonly tickInputsMax: number;
  /** Budget of one tick's writes; keeps its journal batch under the broker's max.message.bytes (tick.ts I3). */
  readonly tickBytesMax: number;
  readonly inboxMax: number;
  readonly stepsInFlightMax: number;
  /** Largest step result as JSON; larger fails the step with a TerminalError. */
  readonly stepResultBytesMax: number;
  readonly commandBytesMax: number;
  readonly catchUpTimeoutMs: number;
}

/** Counters for tests, metrics and the admin surface. */
export interface OwnerStats {
  catchUpRecords: number;
  cachedCheckpoint: number;
  resumedWorkflows: number;
  ticks: number;
  recordsWritten: number;
  commandsDropped: number;
}
