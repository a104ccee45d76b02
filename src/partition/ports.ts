/**
 * What a partition owner needs from the outside world, as interfaces: the journal writer and reader, the
 * catalog of topics a body may emit to, and the partitioner. The executor wires Kafka implementations
 * (src/kafka); the no-broker simulation wires in-memory ones (tests/unit/simulation). Dependencies point
 * inward: src/kafka implements these, src/partition never imports kafkajs.
 *
 * I1. `write` is all or nothing: every message is visible to read_committed readers, or none is (one
 *     transaction). Its error says which kind of failure it was (WriteFailure).
 * I3. `append`, where a writer has it, writes records of one of the owner's partitions (its journal, or its
 *     events after the journal: tick-events.ts) as one idempotent produce (one record batch, atomic on the
 *     broker), without a transaction. A failed append's outcome is
 *     unknown until the owner has claimed anew (owner-failure.ts I4).
 * I4. `claim`, where a writer has it, writes the owner's claim so that the broker rejects every `append` of an
 *     earlier owner of the partition from the claim on (D34). Without it the claim is a `write`, and an
 *     earlier owner's appends after it land but count for nothing by the epoch rule (journal/epoch.ts), as
 *     they do in any journal written before.
 * I5. `fence`, where a writer has it, writes `message` in a transaction it aborts: no read_committed reader
 *     sees it, and from it on the broker rejects every `append` of an earlier owner on its partition. A
 *     writer with `claim` and `fence` may `append` a tick's events after its journal records (tick-events.ts):
 *     the claim fences an earlier owner's journal produces, the fence its events.
 * I2. `readRange` delivers every committed message of [from, to) of the owner's journal partition in
 *     offset order, in batches, and fails (retriably) when no batch arrives for `stallMs`.
 */

/** A message to write, in Logbook's terms. */
export interface OutMessage {
  readonly topic: string;
  /** Explicit partition; absent means Kafka's default (murmur2) partitioner on the key. */
  readonly partition?: number;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Base offsets the broker assigned, by `topic:partition`. */
export type BaseOffsets = ReadonlyMap<string, number>;

/** How a failed write failed. */
export type WriteFailureKind =
  /** Another owner holds the partition: stop for good. */
  | 'fenced'
  /** Kafka refused a record of the tick (too large, a topic gone, a policy): retrying it unchanged fails again. */
  | 'rejected'
  /** The broker could not be reached or timed out: retry the same tick after a backoff. */
  | 'unavailable';

/** A failed write, classified (I1). */
export interface WriteFailure {
  readonly kind: WriteFailureKind;
  readonly message: string;
  /** Kafka's error type, e.g. MESSAGE_TOO_LARGE, when it said one. */
  readonly type: string | undefined;
}

/** The owner's transactional writer. */
export interface JournalWriter {
  /** Writes `messages` in one transaction (I1). */
  write(messages: readonly OutMessage[]): Promise<BaseOffsets>;
  /** Writes records of one of the owner's partitions as one idempotent produce (I3); absent: never. */
  append?(messages: readonly OutMessage[]): Promise<BaseOffsets>;
  /** Writes the owner's claim, fencing earlier owners' appends at the broker (I4); absent: `write`. */
  claim?(messages: readonly OutMessage[]): Promise<BaseOffsets>;
  /** Fences earlier owners' appends on `message`'s partition, unseen by readers (I5); returns its offset. */
  fence?(message: OutMessage): Promise<number>;
  /** Sorts an error `write` threw into its kind. */
  classify(error: unknown): WriteFailure;
  /** Makes the writer usable again after a failed write (new producers; an open transaction is aborted). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** One committed journal message. */
export interface JournalMessage {
  readonly offset: number;
  readonly value: Buffer | null;
  /** The record's headers, when the read asked for them (ReadOptions.withHeaders). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link JournalReader.readRange}. */
export interface ReadOptions {
  /** Fail when no batch arrives for this long (I2). */
  readonly stallMs: number;
  /** Stops the read (the owner is stopping). */
  readonly signal?: AbortSignal;
  /** Deliver each message's headers too (as UTF-8 strings). */
  readonly withHeaders?: boolean;
}

/** Reads the owner's journal partition (or, as `OwnerDeps.eventsReader`, its events partition). */
export interface JournalReader {
  /** Delivers [from, to) in batches (I2); `onBatch` is awaited before the next batch. */
  readRange(
    from: number,
    to: number,
    onBatch: (messages: readonly JournalMessage[]) => Promise<void>,
    options: ReadOptions,
  ): Promise<void>;
  /** The offset after the last committed message (the read_committed end), now. */
  endOffset(): Promise<number>;
}

/** What the catalog knows of a topic a body wants to emit to. */
export type TopicInfo =
  | { readonly exists: true; readonly maxMessageBytes: number }
  | { readonly exists: false; readonly reason: string };

/** The topics bodies may emit to: cached, refreshed on a miss. */
export interface TopicCatalog {
  /** What is known of `topic` now, or undefined when it must be looked up first. */
  cached(topic: string): TopicInfo | undefined;
  /** Looks `topics` up (metadata and `max.message.bytes`); throws when Kafka cannot be asked. */
  refresh(topics: readonly string[]): Promise<void>;
  /** Forgets what is known of `topics` (a write to them failed): the next emit asks Kafka again. */
  forget(topics: readonly string[]): void;
}
