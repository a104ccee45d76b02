/**
 * Turns a tick's effects into Kafka messages (DESIGN §1–2): journal records on the owner's partition of
 * `ns.journal`, events on its partition of `ns.events`, dead letters with their reason in headers, emits,
 * and routed commands keyed by their workflow id.
 *
 * I1. Journal and event messages go to the owner's partition number explicitly: the command that caused
 *     them arrived there by Kafka's default partitioner on the same key, and the topics are co-partitioned.
 * I2. Routed commands (child starts and results) use the default partitioner on their id, so they land on
 *     the partition that owns that id, as any producer's command would.
 * I3. DLQ header names are part of the operator interface: never rename them.
 * I4. Every journal record and event of a traced workflow carries its `traceparent` (and `tracestate`)
 *     header, and so does each message it emits; a child start carries its parent's, a child result its
 *     child's, a forwarded command the one it came with (D24). An untraced message gets the same header object as before: no cost.
 */
import { type Command, encodeCommandJson } from '../commands/index.js';
import type { TopicNames, TraceContext } from '../journal/index.js';
import {
  encodeRecord,
  JOURNAL_SCHEMA_HEADER,
  JOURNAL_SCHEMA_HEADER_VALUE,
  type JournalRecord,
} from '../journal/index.js';
import type { Effects } from '../machine/index.js';
import { traceHeaders } from '../tracing/index.js';
import type { OutMessage } from './ports.js';
import type { TickTraces } from './tick-traces.js';

/** DLQ header names (I3). */
export const DLQ_HEADERS = {
  code: 'logbook-error-code',
  reason: 'logbook-error-reason',
  sourceTopic: 'logbook-source-topic',
  sourcePartition: 'logbook-source-partition',
  sourceOffset: 'logbook-source-offset',
} as const;

/** The header an untraced journal message carries: one frozen object, which the produce encoding measures once. */
const JOURNAL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  [JOURNAL_SCHEMA_HEADER]: JOURNAL_SCHEMA_HEADER_VALUE,
});

/** The Kafka key of a journal record: its workflow id, or `__owner/<p>` for partition records. */
export function journalKey(record: JournalRecord, partition: number): string {
  return record.workflowId === '' ? `__owner/${partition}` : record.workflowId;
}

/** A journal record as a message on the owner's partition (I1), with its workflow's trace (I4). */
export function journalMessage(
  record: JournalRecord,
  topics: TopicNames,
  partition: number,
  trace?: TraceContext,
): OutMessage {
  return {
    topic: topics.journal,
    partition,
    key: journalKey(record, partition),
    value: encodeRecord(record),
    headers:
      trace === undefined
        ? JOURNAL_HEADERS
        : traceHeaders(trace, { [JOURNAL_SCHEMA_HEADER]: JOURNAL_SCHEMA_HEADER_VALUE }),
  };
}

/** The workflow whose trace a routed command carries (I4): a child start its parent's, a result its child's. */
function tracedBy(command: Command): string {
  if (command.type === 'start' && command.parent !== null) return command.parent.workflowId;
  return command.type === 'childResult' ? command.childId : command.id;
}

/** Every message one tick writes, journal first; `traces` names each workflow's trace (I4). */
export function tickMessages(
  effects: Effects,
  topics: TopicNames,
  partition: number,
  traces?: TickTraces,
): OutMessage[] {
  const out: OutMessage[] = effects.records.map((r) =>
    journalMessage(r, topics, partition, traces?.workflow(r.workflowId)),
  );
  for (const event of effects.events) {
    const trace = traces?.workflow(event.id);
    out.push({
      topic: topics.events,
      partition,
      key: event.id,
      value: JSON.stringify(event),
      headers:
        trace === undefined
          ? { 'logbook-event': event.type }
          : traceHeaders(trace, { 'logbook-event': event.type }),
    });
  }
  for (const dead of effects.deadLetters) {
    out.push({
      topic: topics.dlq,
      key: dead.key,
      value: dead.value,
      headers: {
        [DLQ_HEADERS.code]: dead.code,
        [DLQ_HEADERS.reason]: dead.reason,
        [DLQ_HEADERS.sourceTopic]: topics.commands,
        [DLQ_HEADERS.sourcePartition]: String(partition),
        [DLQ_HEADERS.sourceOffset]: dead.offset,
      },
    });
  }
  for (const emit of effects.emits) {
    const trace = traces?.workflow(emit.workflowId);
    const message = { topic: emit.topic, key: emit.key, value: JSON.stringify(emit.value) };
    out.push(trace === undefined ? message : { ...message, headers: traceHeaders(trace) });
  }
  for (const command of effects.commands) {
    const trace = traces?.command(command) ?? traces?.workflow(tracedBy(command));
    const message = { topic: topics.commands, key: command.id, value: encodeCommandJson(command) }; // I2
    out.push(trace === undefined ? message : { ...message, headers: traceHeaders(trace) });
  }
  return out;
}

/** The emits among `records`, by workflow id, with their call seqs (a failed tick's, owner-failure.ts). */
export function emitsOf(records: readonly JournalRecord[]): Map<string, number[]> {
  const emits = new Map<string, number[]>();
  for (const r of records) {
    if (r.body.kind !== 'Emitted') continue;
    const calls = emits.get(r.workflowId);
    if (calls === undefined) emits.set(r.workflowId, [r.body.callSeq]);
    else calls.push(r.body.callSeq);
  }
  return emits;
}
