/**
 * `logbook journal replay <id> [--at <offset|time>] [--json]` (and `journal show <id>`, its `--json` form):
 * one workflow's timeline, or the workflow as it stood at a journal offset or time. Reads only the
 * workflow's partition (partitioner.ts), streamed (journal-source.ts I1).
 *
 * I1. The timeline is printed as the records arrive, so memory is one batch, whatever the history's length.
 * I2. A workflow the journal does not hold, or that had not started at the point asked, is a
 *     NotInJournalError (exit 1), never an empty answer.
 */
import {
  describeSnapshot,
  type JournalPoint,
  PointInTimeFold,
  TIMELINE_HEADER,
  timelineEnding,
  timelineLine,
} from '../audit/index.js';
import { ErrorCode, LogbookError } from '../errors.js';
import type { JournalRecord } from '../journal/index.js';
import type { JournalSource } from './journal-source.js';
import { LineWriter } from './line-writer.js';

/** Something asked for is not in the journal (I2). */
export class NotInJournalError extends LogbookError {
  override readonly name = 'NotInJournalError';
  constructor(message: string) {
    super(ErrorCode.Usage, message);
  }
}

/** Prints workflow `id`'s records: a timeline, or one JSON object a line with `json` (I1). */
export async function printHistory(source: JournalSource, id: string, json: boolean): Promise<number> {
  const out = new LineWriter();
  let first: JournalRecord | undefined;
  let last: JournalRecord | undefined;
  let count = 0;
  if (!json) await out.line(TIMELINE_HEADER);
  await source.stream(
    {
      onRecord: async (record, _partition, offset) => {
        if (record.workflowId !== id) return;
        first ??= record;
        last = record;
        count++;
        await out.line(json ? JSON.stringify(record) : timelineLine(record, offset));
      },
    },
    [await source.partitionOf(id)],
  );
  if (count === 0) throw new NotInJournalError(`no workflow "${id}" in ${source.topic}.`); // I2
  if (!json) await out.line(timelineEnding(first, last, count));
  await out.flush();
  return 0;
}

/** Prints workflow `id` as it stood at `point`: text, or one JSON object with `json`. */
export async function printPointInTime(
  source: JournalSource,
  id: string,
  point: JournalPoint,
  json: boolean,
): Promise<number> {
  const fold = new PointInTimeFold(id, point);
  await source.stream({ onRecord: (record, _p, offset) => void fold.add(record, offset) }, [
    await source.partitionOf(id),
  ]);
  const snapshot = fold.snapshot();
  if (snapshot === undefined) {
    const at = point.kind === 'offset' ? `offset ${point.offset}` : new Date(point.atMs).toISOString();
    throw new NotInJournalError(`workflow "${id}" had not started at ${at} in ${source.topic}.`); // I2
  }
  const out = new LineWriter();
  if (json) await out.line(JSON.stringify(snapshot));
  else for (const line of describeSnapshot(snapshot)) await out.line(line);
  await out.flush();
  return 0;
}
