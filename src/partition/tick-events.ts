import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import type { TopicNames } from '../journal/index.js';
import type { Logger } from '../logging/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import type { BaseOffsets, OutMessage } from './ports.js';

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
export function eventsOf(events: readonly OutMessage[], journalOffset: number): OutMessage[] {
  const at = String(journalOffset);
  return events.map((e) => ({ ...e, headers: { ...e.headers, [JOURNAL_OFFSET_HEADER]: at } }));
}

/** Parses a `logbook-tick-events` header back into messages for the events partition; undefined: malformed. */
export function parseKept(header: string, topic: string, partition: number): OutMessage[] | undefined {
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
