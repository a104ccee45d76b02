/**
 * A finished workflow's outcome read back from the journal, for status answers past the executors'
 * cache retention (workflow-outcome.ts I1): the answer names the terminal record's position, and the
 * client reads that one record (read_committed) and decodes it.
 */
import type { Kafka } from 'kafkajs';
import { decodeRecord, type ErrorData, type JsonValue, type TopicNames } from '../journal/index.js';
import { readPartitions } from '../kafka/index.js';
import type { JournalPosition } from '../machine/index.js';

/** How a workflow ended, as its terminal record says. */
export interface ArchivedOutcome {
  readonly result?: JsonValue;
  readonly error?: ErrorData;
}

/** Reads the terminal record at `position` (stall after `stallMs`). */
export async function readArchivedOutcome(
  kafka: Kafka,
  topics: TopicNames,
  position: JournalPosition,
  stallMs = 15_000,
): Promise<ArchivedOutcome> {
  let outcome: ArchivedOutcome = {};
  await readPartitions(kafka, {
    topic: topics.journal,
    from: new Map([[position.partition, position.offset]]),
    ends: new Map([[position.partition, position.offset + 1]]),
    groupPrefix: `${topics.events}.archive`,
    stallMs,
    onBatch: (_, messages) => {
      const value = messages[0]?.value;
      if (value === null || value === undefined) return;
      const body = decodeRecord(value).body;
      if (body.kind === 'WorkflowCompleted') outcome = { result: body.result };
      if (body.kind === 'WorkflowFailed') outcome = { error: body.error };
    },
  });
  return outcome;
}
