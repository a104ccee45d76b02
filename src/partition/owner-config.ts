/**
 * A partition owner's limits and counters (STYLE §5: every limit is named config with a unit). Each limit
 * is asserted where it is used; README "Limits" lists them.
 */
import { defaultMachineLimits, type MachineLimits } from '../machine/index.js';
import { defaultRunLimits, type RunLimits } from '../replay/index.js';

/** Limits and knobs of a partition owner, all named with units. */
export interface OwnerLimits {
  /** How often the executor commits confirmed command positions to the consumer group (command-consumer.ts I6). */
  readonly offsetCommitIntervalMs: number;
  /** How long a tick waits for more inputs before it commits (0: commit as soon as the last one ended). */
  readonly tickLingerMs: number;
  readonly tickInputsMax: number;
  /** Budget of one tick's writes; kept under the journal topic's max.message.bytes (tick.ts I3). */
  readonly tickBytesMax: number;
  /** Inputs queued for the loop; commands wait in Kafka (the partition is paused) while it is full. */
  readonly inboxMax: number;
  readonly stepsInFlightMax: number;
  /** Step attempts waiting for a free slot; step intents wait while it is full. */
  readonly stepQueueMax: number;
  /** Largest step result as UTF-8 JSON; larger fails the step with a LimitError. */
  readonly stepResultBytesMax: number;
  readonly commandBytesMax: number;
  /**
   * Longest time a committed tick's cache changes wait to be written with later ticks' as one batch
   * (cache-writes.ts I2); a restarted node re-reads at most this much more of its journal. 0: every tick
   * is written on its own.
   */
  readonly cacheStageMs: number;
  /** Records a staged cache batch holds at most; at this many it is written at once (cache-writes.ts I3). */
  readonly cacheStageRecordsMax: number;
  /** Bytes of journal records a staged cache batch holds at most; at this many it is written at once. */
  readonly cacheStageBytesMax: number;
  /** Catch-up writes a checkpoint at least every this many records (catch-up.ts I4). */
  readonly catchUpBatchRecordsMax: number;
  /** Catch-up gives up (and is retried from its last checkpoint) after this long without a record. */
  readonly catchUpStallMs: number;
  /** Workflows held in memory at most; past it the idle ones leave first, then commands wait. */
  readonly hotWorkflowsMax: number;
  /** A wakeable workflow idle this long leaves memory; its next event brings it back by replay. */
  readonly idleEvictMs: number;
  /** Timers held in memory at most (the rest wait in the cache's index). */
  readonly timerHeapMax: number;
  /** Bodies replayed at once (resumes after a takeover or an eviction). */
  readonly resumesInFlightMax: number;
  /** How long a finished workflow's result and error stay in the cache; past it, the journal has them. */
  readonly finishedRetentionMs: number;
  /** How often housekeeping (eviction, timer refills, retention) runs on a quiet partition (owner.ts I8). */
  readonly housekeepingIntervalMs: number;
  /** First wait after a failed write; it doubles up to `failureBackoffMaxMs`. */
  readonly failureBackoffMs: number;
  readonly failureBackoffMaxMs: number;
  /**
   * Journal-only ticks go out as one idempotent produce instead of a transaction (owner-tick.ts I6), and
   * ticks with outcome events as two (I7, with `eventsAfterJournal`); false makes every tick a transaction.
   * LOGBOOK_WRITE_PATH=transactional sets false for a whole process.
   */
  readonly singleProduceTicks: boolean;
  /**
   * Longest time between two transactional ticks while single-produce ticks flow (owner-tick.ts I6): a
   * fenced owner finds out within it, and a restarted node re-reads at most this much of its own journal.
   */
  readonly confirmIntervalMs: number;
  /**
   * A single-produce tick may send its outcome events after its journal records (tick-events.ts); false
   * sends them in a transaction. Off during a rolling upgrade from an executor before this one, which
   * neither fences the events partition nor settles them (LOGBOOK_EVENTS_AFTER_JOURNAL=off).
   */
  readonly eventsAfterJournal: boolean;
  /**
   * Largest size of a single-produce tick's outcome events, as the header of its last journal record
   * (tick-events.ts I3); a tick with more goes out as a transaction.
   */
  readonly appendEventsBytesMax: number;
  /**
   * The single produces of a node's owners share requests (kafka/append-channel.ts): those that arrive
   * while `appendRequestsInFlight` requests to their broker are under way go out together in the next,
   * up to `appendRequestBytesMax` of record bytes (one append over it goes alone). An append that failed
   * retriably is sent again with its sequence, at most `appendRetries` times, `appendRetryBackoffMs`
   * doubling between. False: each owner sends its own, through KafkaJS's producer.
   */
  readonly sharedAppends: boolean;
  readonly appendRequestsInFlight: number;
  readonly appendRequestBytesMax: number;
  readonly appendRetries: number;
  readonly appendRetryBackoffMs: number;
  readonly machine: MachineLimits;
  readonly run: RunLimits;
}

/** Default limits of a partition owner. */
export const defaultOwnerLimits: OwnerLimits = {
  offsetCommitIntervalMs: 1_000,
  tickLingerMs: 0,
  tickInputsMax: 2_000,
  tickBytesMax: 512 * 1024,
  inboxMax: 20_000,
  stepsInFlightMax: 1_000,
  stepQueueMax: 100_000,
  stepResultBytesMax: 256 * 1024,
  commandBytesMax: 256 * 1024,
  cacheStageMs: 200,
  cacheStageRecordsMax: 5_000,
  cacheStageBytesMax: 8 * 1024 * 1024,
  catchUpBatchRecordsMax: 5_000,
  catchUpStallMs: 30_000,
  hotWorkflowsMax: 50_000,
  idleEvictMs: 60_000,
  timerHeapMax: 20_000,
  resumesInFlightMax: 16,
  finishedRetentionMs: 7 * 86_400_000,
  housekeepingIntervalMs: 5_000,
  failureBackoffMs: 100,
  failureBackoffMaxMs: 5_000,
  singleProduceTicks: true,
  confirmIntervalMs: 1_000,
  eventsAfterJournal: true,
  appendEventsBytesMax: 64 * 1024,
  sharedAppends: true,
  appendRequestsInFlight: 1,
  appendRequestBytesMax: 1024 * 1024,
  appendRetries: 5,
  appendRetryBackoffMs: 100,
  machine: defaultMachineLimits,
  run: defaultRunLimits,
};

/** Why an owner is failing now: visible in `stats.failing` while it backs off (owner.ts I4). */
export interface OwnerFailing {
  readonly sinceMs: number;
  readonly attempts: number;
  readonly lastError: string;
  readonly nextRetryAtMs: number;
}

/** Counters for tests, metrics and the admin surface. */
export interface OwnerStats {
  catchUpRecords: number;
  /** How long claiming and catching up took, in ms. */
  catchUpMs: number;
  cachedCheckpoint: number;
  resumedWorkflows: number;
  ticks: number;
  recordsWritten: number;
  commandsDropped: number;
  hotWorkflows: number;
  evictedWorkflows: number;
  timersInMemory: number;
  /** Pending timers of the partition (the cache's index): counted at the claim, then kept by each commit. */
  timersPending: number;
  ticksRejected: number;
  workflowsStarted: number;
  workflowsFinished: number;
  failing: OwnerFailing | null;
  /** The last journal offset the claim's catch-up folded (-1: none yet). */
  catchUpOffset: number;
  /** The offset the claim's catch-up reads to, exclusive (-1: not known yet, the claim is being written). */
  catchUpEndOffset: number;
  /** Events of the journal's last tick that an earlier owner had not sent, sent at the claim (claim.ts I6). */
  eventsResent: number;
}

/** Fresh counters. */
export function newOwnerStats(): OwnerStats {
  return {
    catchUpRecords: 0,
    catchUpMs: 0,
    cachedCheckpoint: -1,
    resumedWorkflows: 0,
    ticks: 0,
    recordsWritten: 0,
    commandsDropped: 0,
    hotWorkflows: 0,
    evictedWorkflows: 0,
    timersInMemory: 0,
    timersPending: 0,
    ticksRejected: 0,
    workflowsStarted: 0,
    workflowsFinished: 0,
    failing: null,
    catchUpOffset: -1,
    catchUpEndOffset: -1,
    eventsResent: 0,
  };
}
