/**
 * The partition owner's journal reader (partition/ports.ts JournalReader) over KafkaJS.
 *
 * I1. `endOffset` is the partition's last stable offset (a read_committed ListOffsets, as KafkaJS's admin
 *     asks by default); after the owner's writer was reset (any open
 *     transaction aborted or completed), every offset below it is either committed or void for a
 *     read_committed reader, so reading to it reads everything.
 */
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import type { JournalMessage, JournalReader, ReadOptions } from '../partition/index.js';
import { readPartitions } from './partition-reader.js';

/** Reads one journal partition. */
export class KafkaJournalReader implements JournalReader {
  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly partition: number,
    private readonly groupPrefix: string,
  ) {}

  async readRange(
    from: number,
    to: number,
    onBatch: (messages: readonly JournalMessage[]) => Promise<void>,
    options: ReadOptions,
  ): Promise<void> {
    await readPartitions(this.kafka, {
      topic: this.topic,
      from: new Map([[this.partition, from]]),
      ends: new Map([[this.partition, to]]),
      groupPrefix: this.groupPrefix,
      stallMs: options.stallMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onBatch: (_, messages) =>
        onBatch(
          messages.map((m) =>
            options.withHeaders === true
              ? { offset: Number(m.offset), value: m.value, headers: stringHeaders(m.headers) }
              : { offset: Number(m.offset), value: m.value },
          ),
        ),
    });
  }

  async endOffset(): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const found = offsets.find((o) => o.partition === this.partition);
    return Number(found?.high ?? 0); // I1
  }
}

/** Kafka headers as strings: a header given more than once keeps its last value. */
function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}
