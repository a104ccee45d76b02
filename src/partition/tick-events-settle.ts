/**
 * Settling at the claim (tick-events.ts I4–I8): a new owner finds the journal's last tick, and if its
 * last record holds events, fences the events partition, waits for the fence's marker, and re-sends the
 * events their owner stopped before sending.
 */
import { sleepOn } from '../clock.js';
import { ErrorCode, LogbookError } from '../errors.js';
import { decodeRecord } from '../journal/index.js';
import { commandsConsumed } from './command-input.js';
import { journalMessage } from './messages.js';
import type { OwnerDeps } from './owner-deps.js';
import type { JournalMessage, JournalReader } from './ports.js';
import { eventsOf, JOURNAL_OFFSET_HEADER, parseKept, TICK_EVENTS_HEADER } from './tick-events.js';

/** What settling needs of an owner's dependencies. */
export type SettleDeps = Pick<
  OwnerDeps,
  'writer' | 'reader' | 'eventsReader' | 'topics' | 'partition' | 'executorId' | 'limits' | 'logger' | 'clock'
>;

const FIRST_WINDOW = 16;
const MARKER_POLL_MS = 5;
const MARKER_POLL_MAX_MS = 200;
const LAST_WINDOW = 4_096;

/** The last message before `before` that `accept` takes, read back from the end in growing windows (I4). */
async function lastBefore(
  reader: JournalReader,
  before: number,
  accept: (m: JournalMessage) => boolean,
  deps: SettleDeps,
  signal: AbortSignal | undefined,
): Promise<JournalMessage | undefined> {
  let to = before;
  let window = FIRST_WINDOW;
  const options = {
    stallMs: deps.limits.catchUpStallMs,
    withHeaders: true,
    ...(signal === undefined ? {} : { signal }),
  };
  while (to > 0) {
    const from = Math.max(0, to - window);
    let found: JournalMessage | undefined;
    await reader.readRange(
      from,
      to,
      async (messages) => {
        for (const m of messages) if (accept(m)) found = m;
      },
      options,
    );
    if (found !== undefined) return found;
    to = from;
    window = Math.min(window * 2, LAST_WINDOW);
  }
  return undefined;
}

function isClaim(m: JournalMessage): boolean {
  return m.value !== null && decodeRecord(m.value).body.kind === 'OwnerClaimed';
}

/** Where the owner stands once caught up: the position and epoch a settling record carries (I7). */
export interface SettleAt {
  readonly nextCommandOffset: number;
  readonly epoch: number;
}

/**
 * Settles the events of the journal's last tick before `before` (I4): when that tick's record holds events,
 * fences the events partition, re-sends them if they are missing, and writes a record after it (I7).
 * Returns how many it sent; a writer without `fence` has nothing to settle.
 */
export async function settleTickEvents(
  deps: SettleDeps,
  before: number,
  at: SettleAt,
  signal?: AbortSignal,
): Promise<number> {
  const { writer, eventsReader, topics, partition } = deps;
  if (writer.fence === undefined || eventsReader === undefined) return 0;
  const last = await lastBefore(deps.reader, before, (m) => m.value !== null && !isClaim(m), deps, signal);
  const header = last?.headers?.[TICK_EVENTS_HEADER];
  if (last === undefined || header === undefined) return 0; // no tick's events can be in flight (I4)
  const fence = await writer.fence({
    topic: topics.events,
    partition,
    key: `__owner/${partition}`,
    value: JSON.stringify({ type: 'OwnerFence', partition, executorId: deps.executorId }),
    headers: { 'logbook-event': 'OwnerFence' },
  });
  await markerWritten(eventsReader, fence, deps, signal);
  const sent = await lastBefore(eventsReader, fence, (m) => m.value !== null, deps, signal);
  const resent =
    sent?.headers?.[JOURNAL_OFFSET_HEADER] === String(last.offset)
      ? 0
      : await resend(deps, last.offset, header);
  const settled = commandsConsumed(partition, at.nextCommandOffset, deps.clock.now(), at.epoch);
  await writer.write([journalMessage(settled, topics, partition)]); // I7
  return resent;
}

/**
 * Waits until the fence's abort marker is in (I8): until then its transaction is open on the partition,
 * and the broker refuses a single produce of the same producer there (INVALID_TXN_STATE).
 */
async function markerWritten(
  reader: JournalReader,
  fence: number,
  deps: SettleDeps,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = deps.clock.now() + deps.limits.catchUpStallMs;
  let pollMs = MARKER_POLL_MS;
  while ((await reader.endOffset()) <= fence + 1) {
    if (deps.clock.now() > deadline)
      throw new LogbookError(
        ErrorCode.Kafka,
        `the events fence at ${fence} has no marker after ${deps.limits.catchUpStallMs} ms`,
        { retriable: true },
      );
    await sleepOn(deps.clock, pollMs, signal);
    pollMs = Math.min(pollMs * 2, MARKER_POLL_MAX_MS);
  }
}

/** Sends the events the header at `offset` holds (I4, I5); returns how many it sent. */
async function resend(deps: SettleDeps, offset: number, header: string): Promise<number> {
  const { writer, topics, partition, logger } = deps;
  const kept = parseKept(header, topics.events, partition);
  if (writer.append === undefined) throw new LogbookError(ErrorCode.Bug, 'a writer with fence has no append');
  if (kept === undefined) {
    logger.log(
      'error',
      "the last tick's events header is not what Logbook writes; its events are not sent (I5)",
      {
        journalOffset: offset,
      },
    );
    return 0;
  }
  const events = eventsOf(kept, offset);
  const fields = { journalOffset: offset, events: events.length };
  try {
    await writer.append.call(writer, events);
  } catch (error) {
    const failure = writer.classify(error);
    if (failure.kind !== 'rejected') throw error;
    const message = `Kafka refused the events of the last tick (${failure.message}); the journal record at the offset holds them (I5)`;
    logger.log('error', message, fields);
    return 0;
  }
  logger.log('warn', 'sent the events of the last tick again: its owner stopped before it sent them', fields);
  return events.length;
}
