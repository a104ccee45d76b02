/**
 * How a tick goes out (owner-tick.ts I6, I7): one idempotent produce, the journal's produce then the
 * events', or (undefined) a transaction.
 */
import type { WorkflowEvent } from '../machine/index.js';
import type { OwnerDeps } from './owner-deps.js';
import type { BaseOffsets, OutMessage } from './ports.js';
import { journalThenEvents, type TickAppend } from './tick-events.js';

/**
 * The appends of a tick that may go out as idempotent produces: one when it writes only journal records,
 * the journal's then the events' when its other messages are outcome events (tick-events.ts); undefined
 * when it must be a transaction — single produces off, a confirmation due (`confirmedAtMs` more than
 * `confirmIntervalMs` ago), events after the journal off (`eventsAfterJournal`, for rolling upgrades) or
 * not settleable by this writer, or other messages.
 */
export function tickAppender(
  deps: Pick<OwnerDeps, 'writer' | 'limits' | 'topics' | 'partition' | 'eventsReader' | 'logger'>,
  confirmedAtMs: number,
  messages: readonly OutMessage[],
  events: readonly WorkflowEvent[],
  nowMs: number,
): TickAppend | undefined {
  const { writer, limits, topics, partition, eventsReader } = deps;
  const append = writer.append;
  if (
    append === undefined ||
    !limits.singleProduceTicks ||
    nowMs - confirmedAtMs >= limits.confirmIntervalMs ||
    messages.length === 0
  )
    return undefined;
  const once = (m: readonly OutMessage[]): Promise<BaseOffsets> => append.call(writer, m);
  if (messages.every((m) => m.topic === topics.journal && m.partition === partition))
    return () => once(messages);
  // Events after the journal need a successor that fences both partitions and settles them (tick-events.ts).
  const settles = writer.claim !== undefined && writer.fence !== undefined && eventsReader !== undefined;
  if (!limits.eventsAfterJournal || !settles) return undefined;
  const target = {
    topics,
    partition,
    appendEventsBytesMax: limits.appendEventsBytesMax,
    refused: (error: unknown) => writer.classify(error).kind === 'rejected',
    logger: deps.logger,
  };
  return journalThenEvents(once, messages, events, target);
}
