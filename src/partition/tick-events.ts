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
 * I4. At the claim (claim.ts I6), the owner first fences its events partition (ports.ts I5): no earlier
 *     owner's event can land after that. It then finds the journal's last record before the claim that is
 *     not a claim. If it carries events (I2) and the events partition's last committed record before the
 *     fence does not carry that record's offset, the events were lost, and it sends them as they were.
 *     Events are written in journal order (I1), so the last one settles it; every read goes back from the
 *     end in windows that grow, past claims and fences only, so it reads what recent crashes left.
 * I5. Events Kafka refuses at the claim (the events topic's limits changed since), or a header that is not
 *     what Logbook writes, do not stop the partition: the owner logs an error naming the journal record
 *     that holds them, and goes on.
 */
import { ErrorCode, LogbookError } from '../errors.js';
import { decodeRecord, type TopicNames } from '../journal/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import type { OwnerDeps } from './owner-deps.js';
import type { BaseOffsets, JournalMessage, JournalReader, OutMessage } from './ports.js';

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
}

type Append = (messages: readonly OutMessage[]) => Promise<BaseOffsets>;

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
): Append | undefined {
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
    await append(eventsOf(out, first + journal.length - 1));
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
  'writer' | 'reader' | 'eventsReader' | 'topics' | 'partition' | 'executorId' | 'limits' | 'logger'
>;

const FIRST_WINDOW = 16;
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

/**
 * Fences the owner's events partition and re-sends the events of the journal's last tick before `before`
 * when they are missing (I4). Returns how many it sent; a writer without `fence` has nothing to settle.
 */
export async function settleTickEvents(
  deps: SettleDeps,
  before: number,
  signal?: AbortSignal,
): Promise<number> {
  const { writer, eventsReader, topics, partition } = deps;
  if (writer.fence === undefined || writer.append === undefined || eventsReader === undefined) return 0;
  const fence = await writer.fence({
    topic: topics.events,
    partition,
    key: `__owner/${partition}`,
    value: JSON.stringify({ type: 'OwnerFence', partition, executorId: deps.executorId }),
    headers: { 'logbook-event': 'OwnerFence' },
  });
  const last = await lastBefore(deps.reader, before, (m) => m.value !== null && !isClaim(m), deps, signal);
  const header = last?.headers?.[TICK_EVENTS_HEADER];
  if (last === undefined || header === undefined) return 0;
  const sent = await lastBefore(eventsReader, fence, (m) => m.value !== null, deps, signal);
  if (sent?.headers?.[JOURNAL_OFFSET_HEADER] === String(last.offset)) return 0;
  const kept = parseKept(header, topics.events, partition);
  if (kept === undefined) {
    const message = "the last tick's events header is not what Logbook writes; its events are not sent (I5)";
    deps.logger.log('error', message, { journalOffset: last.offset });
    return 0;
  }
  const events = eventsOf(kept, last.offset);
  const fields = { journalOffset: last.offset, events: events.length };
  try {
    await writer.append.call(writer, events);
  } catch (error) {
    const failure = writer.classify(error);
    if (failure.kind !== 'rejected') throw error;
    const message = `Kafka refused the events of the last tick (${failure.message}); the journal record at the offset holds them (I5)`;
    deps.logger.log('error', message, fields);
    return 0;
  }
  deps.logger.log(
    'warn',
    'sent the events of the last tick again: its owner stopped before it sent them',
    fields,
  );
  return events.length;
}
