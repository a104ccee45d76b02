/**
 * A single-produce tick's client events, sent after its journal records instead of in a transaction with
 * them (D35), and the claim-time check that finds and re-sends the events a crash left unsent.
 *
 * I1. A tick's events go out only once its journal records are acknowledged, as a second idempotent
 *     produce to the owner's partition of `ns.events` (one record batch: all or none). So no event ever
 *     reports a record that is not in the journal, and the next tick starts only after both returned:
 *     only the journal's last tick can have lost its events.
 * I2. The tick's last journal record carries its events in the `logbook-tick-events` header (JSON:
 *     key, value and headers of each), and each event carries the offset of that record in
 *     `logbook-journal-offset`. The journal holds what was promised, and the events say which tick sent them.
 * I3. Only ticks whose events are outcomes (never a `WorkflowStatus` answer, which no record reports) and
 *     whose events take at most `appendEventsBytesMax` go this way; any other tick is a transaction.
 * I4. At the claim (claim.ts I6), the owner finds the journal's last record before the claim that is not a
 *     claim. Only if it holds events (I2) can they be missing or in flight: an earlier owner sends a tick's
 *     events before its next journal records, and the broker refuses its journal produces from the claim
 *     on (ports.ts I4). Then the owner fences its events partition (ports.ts I5), so no earlier owner's
 *     event lands after that, and reads the partition's last committed record before the fence. Events are
 *     written in journal order (I1), so it names that journal record if, and only if, they were sent; if
 *     not, the owner sends them as the header holds them. Every read goes back from the end in windows that
 *     grow, past claims and aborted fences only.
 * I5. Events Kafka refuses at the claim (the events topic's limits changed since), or a header that is not
 *     what Logbook writes, do not stop the partition: the owner logs an error naming the journal record
 *     that holds them, and goes on.
 * I6. When the events' produce fails after the journal's landed, the tick is never rolled back (its
 *     records are in the journal). If Kafka refused the events (the events topic's limits or ACLs changed
 *     since the start), nothing of them landed: the owner logs an error naming the journal record that
 *     holds them, and the tick commits. Any other failure leaves their outcome unknown: the owner stops as
 *     after any unconfirmed single produce, and the next owner's claim settles them (I4, owner-failure.ts
 *     I4).
 * I7. Once it settled a tick's events, the owner writes a CommandsConsumed record in a transaction: the
 *     tick's record is no longer the journal's last, so the check runs once per tick (never again after the
 *     events topic's retention dropped them), and the next claim reads only what came since.
 * I8. Before any single produce to the events partition, the fence's abort marker must be in: while its
 *     transaction is open there, the broker refuses the same producer's single produces.
 */
import { sleepOn } from '../clock.js';
import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import { decodeRecord, type TopicNames } from '../journal/index.js';
import type { Logger } from '../logging/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import { commandsConsumed } from './command-input.js';
import { journalMessage } from './messages.js';
import type { OwnerDeps } from './owner-deps.js';
import type { BaseOffsets, JournalMessage, JournalReader, OutMessage } from './ports.js';

/**
 * A tick's journal records landed and its events' produce failed (I6). `cause` is the produce's error, to
 * classify; whatever it was, the owner must claim anew, never treat the tick as refused.
 */
export class EventsNotSentError extends LogbookError {
  override readonly name = 'EventsNotSentError';
  constructor(override readonly cause: unknown) {
    super(
      ErrorCode.Kafka,
      `the tick's events were not sent after its journal records: ${errorMessage(cause)}`,
      {
        retriable: true,
        cause,
      },
    );
  }
}

/** The header of a tick's last journal record that holds its events (I2). */
export const TICK_EVENTS_HEADER = 'logbook-tick-events';
/** The header of an event that names the journal record whose tick sent it (I2). */
export const JOURNAL_OFFSET_HEADER = 'logbook-journal-offset';

/** An event as the journal keeps it (I2). */
interface KeptEvent {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The events' bytes as the header would hold them, or undefined when one is not a string event (I3). */
function keptEvents(events: readonly OutMessage[]): string | undefined {
  const kept: KeptEvent[] = [];
  for (const e of events) {
    if (typeof e.key !== 'string' || typeof e.value !== 'string') return undefined;
    kept.push({ key: e.key, value: e.value, headers: e.headers ?? {} });
  }
  return JSON.stringify(kept);
}

/** What a single-produce tick's appends need to know of the owner. */
export interface TickEventsTarget {
  readonly topics: TopicNames;
  readonly partition: number;
  readonly appendEventsBytesMax: number;
  /** True when Kafka refused the write `error` came from (nothing of it landed). */
  readonly refused: (error: unknown) => boolean;
  readonly logger: Logger;
}

type Append = (messages: readonly OutMessage[]) => Promise<BaseOffsets>;
/** A tick's write, its messages given. */
export type TickAppend = () => Promise<BaseOffsets>;

/**
 * The appends of a tick whose messages are its journal records and its outcome events (I1–I3): the
 * journal's, then the events'. Undefined when the tick has other messages, a status answer or too many
 * event bytes: it must be a transaction.
 */
export function journalThenEvents(
  append: Append,
  messages: readonly OutMessage[],
  events: readonly WorkflowEvent[],
  target: TickEventsTarget,
): TickAppend | undefined {
  const { topics, partition } = target;
  if (events.some((e) => e.type === 'WorkflowStatus')) return undefined;
  const journal = messages.filter((m) => m.topic === topics.journal && m.partition === partition);
  const out = messages.filter((m) => m.topic === topics.events && m.partition === partition);
  if (journal.length === 0 || journal.length + out.length !== messages.length) return undefined;
  const kept = keptEvents(out);
  if (kept === undefined || Buffer.byteLength(kept) > target.appendEventsBytesMax) return undefined;
  return async () => {
    const base = await append(withTickEvents(journal, kept));
    const first = base.get(`${topics.journal}:${partition}`);
    if (first === undefined) throw new LogbookError(ErrorCode.Bug, 'the journal append gave no offset');
    try {
      await append(eventsOf(out, first + journal.length - 1));
    } catch (error) {
      if (!target.refused(error)) throw new EventsNotSentError(error); // I6
      const message = `Kafka refused a tick's events after its journal records (${errorMessage(error)}); the journal record at the offset holds them (I6)`;
      target.logger.log('error', message, { journalOffset: first + journal.length - 1 });
    }
    return base;
  };
}

/** The journal messages with the events header (`kept`) on the last one (I2). */
function withTickEvents(journal: readonly OutMessage[], kept: string): OutMessage[] {
  const last = journal[journal.length - 1];
  if (last === undefined) throw new LogbookError(ErrorCode.Bug, 'a tick with events has no journal record');
  return [...journal.slice(0, -1), { ...last, headers: { ...last.headers, [TICK_EVENTS_HEADER]: kept } }];
}

/** `events` stamped with the offset of the journal record that holds them (I2). */
function eventsOf(events: readonly OutMessage[], journalOffset: number): OutMessage[] {
  const at = String(journalOffset);
  return events.map((e) => ({ ...e, headers: { ...e.headers, [JOURNAL_OFFSET_HEADER]: at } }));
}

/** Parses a `logbook-tick-events` header back into messages for the events partition; undefined: malformed. */
function parseKept(header: string, topic: string, partition: number): OutMessage[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(header);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every(isKeptEvent)) return undefined;
  return parsed.map((e) => ({ topic, partition, key: e.key, value: e.value, headers: e.headers }));
}

function isKeptEvent(value: unknown): value is KeptEvent {
  if (typeof value !== 'object' || value === null) return false;
  const { key, value: text, headers } = value as Record<string, unknown>;
  if (typeof key !== 'string' || typeof text !== 'string') return false;
  if (typeof headers !== 'object' || headers === null) return false;
  return Object.values(headers).every((h) => typeof h === 'string');
}

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
