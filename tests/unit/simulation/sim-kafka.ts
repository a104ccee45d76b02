/**
 * An in-memory stand-in for Kafka, for the no-broker simulation only (never for integration tests): topics
 * of partitioned logs, all-or-nothing transactional writes with transactional-id fencing, read_committed
 * reads, and failures injected on purpose — a write that fails before it lands, one that lands and then
 * reports a failure (the outcome a client cannot know), and a record Kafka refuses.
 */
import type {
  BaseOffsets,
  JournalMessage,
  JournalReader,
  JournalWriter,
  OutMessage,
  ReadOptions,
  TopicCatalog,
  TopicInfo,
  WriteFailure,
} from '../../../src/partition/index.js';

/** One stored message. */
export interface SimMessage {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the next write of a partition's writer does (injected by the simulation). */
export type WriteFault = 'none' | 'lost' | 'landed-then-failed';

/** A write error as the sim's writer throws it. */
export class SimWriteError extends Error {
  constructor(
    readonly kind: WriteFailure['kind'],
    message: string,
    readonly type?: string,
  ) {
    super(message);
  }
}

/** The whole cluster: topics by name, each a list of partitions. */
export class SimKafka {
  private readonly topics = new Map<string, SimMessage[][]>();
  /** The writer generation of each transactional id: a newer writer fences the older ones. */
  private readonly generations = new Map<string, number>();
  /** Faults waiting for the next write of a transactional id. */
  readonly faults = new Map<string, WriteFault>();
  /** Topics whose records Kafka refuses (say, over their max.message.bytes). */
  readonly refusing = new Set<string>();
  readonly groupOffsets = new Map<string, number>();
  /** The generation of a transactional id that fenced a partition's appends last, by `topic:partition`. */
  private readonly appendFences = new Map<string, { readonly id: string; readonly generation: number }>();

  constructor(
    readonly partitions: number,
    readonly partitionOf: (key: string) => number,
  ) {}

  createTopic(name: string, partitions = this.partitions): void {
    if (!this.topics.has(name))
      this.topics.set(
        name,
        Array.from({ length: partitions }, () => []),
      );
  }

  log(topic: string, partition: number): readonly SimMessage[] {
    return this.topics.get(topic)?.[partition] ?? [];
  }

  /** Appends messages outside any transaction (a client producing a command). */
  produce(topic: string, key: string, value: Buffer): void {
    const partitions = this.topics.get(topic);
    if (partitions === undefined) throw new Error(`no topic ${topic}`);
    partitions[this.partitionOf(key) % partitions.length]?.push({ key, value, headers: {} });
  }

  /**
   * A writer for transactional id `id`: fences every earlier one (InitProducerId). With `fencing`, its
   * claim and fence also fence earlier writers' appends, as Logbook's writer does on Kafka (D34).
   */
  writer(id: string, fencing = false): SimWriter {
    const generation = this.nextGeneration(id);
    return fencing ? new FencingSimWriter(this, id, generation) : new SimWriter(this, id, generation);
  }

  /** A new generation of transactional id `id`; every older one is fenced. */
  nextGeneration(id: string): number {
    const generation = (this.generations.get(id) ?? 0) + 1;
    this.generations.set(id, generation);
    return generation;
  }

  hasTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** Throws a fencing error unless `generation` is the current one of `id`. */
  checkFence(id: string, generation: number): void {
    if (this.generations.get(id) !== generation) throw new SimWriteError('fenced', `${id} was fenced`);
  }

  /** Fences older generations of `id` out of `topic:partition`'s appends (Kafka: a newer epoch's batch). */
  fenceAppends(id: string, generation: number, at: string): void {
    this.appendFences.set(at, { id, generation });
  }

  /** Throws a fencing error when a newer generation of `id` fenced a partition of `messages`. */
  checkAppendFence(id: string, generation: number, messages: readonly OutMessage[]): void {
    for (const m of messages) {
      const fence = this.appendFences.get(`${m.topic}:${m.partition ?? -1}`);
      if (fence !== undefined && fence.id === id && fence.generation > generation)
        throw new SimWriteError('fenced', `${id}: INVALID_PRODUCER_EPOCH on ${m.topic}:${m.partition}`);
    }
  }

  /** Takes `count` offsets of a partition that no reader sees a value at (aborted records, markers). */
  pushInvisible(topic: string, partition: number, count: number): number {
    const log = this.topics.get(topic)?.[partition];
    if (log === undefined) throw new Error(`no partition ${partition} of ${topic}`);
    const at = log.length;
    for (let i = 0; i < count; i++) log.push({ key: null, value: null, headers: {} });
    return at;
  }

  /** Appends a transaction's messages, all or nothing; returns base offsets by `topic:partition`. */
  append(messages: readonly OutMessage[]): Map<string, number> {
    for (const m of messages) {
      if (this.refusing.has(m.topic))
        throw new SimWriteError('rejected', `MESSAGE_TOO_LARGE on ${m.topic}`, 'MESSAGE_TOO_LARGE');
      if (!this.topics.has(m.topic)) throw new SimWriteError('unavailable', `unknown topic ${m.topic}`);
    }
    const bases = new Map<string, number>();
    for (const m of messages) {
      const partitions = this.topics.get(m.topic) ?? [];
      const key = typeof m.key === 'string' ? m.key : (m.key?.toString('utf8') ?? null);
      const p = m.partition ?? this.partitionOf(key ?? '') % partitions.length;
      const log = partitions[p];
      if (log === undefined) throw new Error(`no partition ${p} of ${m.topic}`);
      const base = `${m.topic}:${p}`;
      if (!bases.has(base)) bases.set(base, log.length);
      const value = typeof m.value === 'string' ? Buffer.from(m.value) : m.value;
      log.push({ key, value, headers: { ...m.headers } });
    }
    return bases;
  }
}

/**
 * A writer of the sim (partition/ports.ts JournalWriter): transactions fenced by transactional id, and
 * single produces (`append`) that nothing fences, as Kafka's idempotent producer, except on a partition
 * a newer writer of the id has `fence`d (the aborted record of the real writer leaves nothing to read, so
 * the sim writes none). `kill` is SIGKILL: a dead writer's every call fails, as a dead process writes
 * nothing.
 */
export class SimWriter implements JournalWriter {
  private dead = false;

  constructor(
    protected readonly kafka: SimKafka,
    protected readonly id: string,
    protected generation: number,
  ) {}

  kill(): void {
    this.dead = true;
  }

  protected checkAlive(): void {
    if (this.dead) throw new SimWriteError('unavailable', `${this.id}: the process is gone`);
  }

  /** One idempotent produce: not fenced; faults as for transactions. */
  async append(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    await Promise.resolve();
    this.checkAlive();
    const fault = this.kafka.faults.get(this.id) ?? 'none';
    this.kafka.faults.delete(this.id);
    if (fault === 'lost') throw new SimWriteError('unavailable', 'produce timed out (nothing landed)');
    this.kafka.checkAppendFence(this.id, this.generation, messages);
    const bases = this.kafka.append(messages);
    if (fault === 'landed-then-failed')
      throw new SimWriteError('unavailable', 'produce timed out (it landed)');
    return bases;
  }

  async write(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    await Promise.resolve();
    this.checkAlive();
    this.kafka.checkFence(this.id, this.generation);
    const fault = this.kafka.faults.get(this.id) ?? 'none';
    this.kafka.faults.delete(this.id);
    if (fault === 'lost') throw new SimWriteError('unavailable', 'request timed out (nothing landed)');
    const bases = this.kafka.append(messages);
    if (fault === 'landed-then-failed')
      throw new SimWriteError('unavailable', 'EndTxn timed out (it committed)');
    return bases;
  }

  classify(error: unknown): WriteFailure {
    if (error instanceof SimWriteError) return { kind: error.kind, message: error.message, type: error.type };
    return { kind: 'unavailable', message: String(error), type: undefined };
  }

  async reset(): Promise<void> {
    this.checkAlive();
    this.kafka.checkFence(this.id, this.generation); // a fenced writer stays fenced
    this.generation = this.kafka.nextGeneration(this.id); // a new producer with the same id
  }

  async close(): Promise<void> {}
}

/**
 * A writer whose claim and fence fence earlier writers' appends on their partition (ports.ts I4, I5), as
 * the broker does for Logbook's writer. A fence leaves two offsets no reader sees a value at: its aborted
 * record and the abort marker.
 */
export class FencingSimWriter extends SimWriter {
  async claim(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    const bases = await this.write(messages);
    for (const at of bases.keys()) this.kafka.fenceAppends(this.id, this.generation, at);
    return bases;
  }

  async fence(message: OutMessage): Promise<number> {
    await Promise.resolve();
    this.checkAlive();
    this.kafka.checkFence(this.id, this.generation);
    const partition = message.partition ?? 0;
    this.kafka.fenceAppends(this.id, this.generation, `${message.topic}:${partition}`);
    return this.kafka.pushInvisible(message.topic, partition, 2);
  }
}

/** Reads one journal partition of the sim (partition/ports.ts JournalReader). */
export class SimReader implements JournalReader {
  constructor(
    private readonly kafka: SimKafka,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  async readRange(
    from: number,
    to: number,
    onBatch: (messages: readonly JournalMessage[]) => Promise<void>,
    options: ReadOptions,
  ): Promise<void> {
    const log = this.kafka.log(this.topic, this.partition);
    for (let offset = from; offset < to; offset += 7) {
      if (options.signal?.aborted === true) throw new Error('read stopped');
      const batch = log
        .slice(offset, Math.min(to, offset + 7))
        .map((m, i) =>
          options.withHeaders === true
            ? { offset: offset + i, value: m.value, headers: m.headers }
            : { offset: offset + i, value: m.value },
        );
      await onBatch(batch);
    }
  }

  async endOffset(): Promise<number> {
    return this.kafka.log(this.topic, this.partition).length;
  }
}

/** Every topic the sim has exists, with a 1 MiB limit (partition/ports.ts TopicCatalog). */
export class SimCatalog implements TopicCatalog {
  constructor(private readonly kafka: SimKafka) {}

  cached(topic: string): TopicInfo | undefined {
    return this.kafka.hasTopic(topic)
      ? { exists: true, maxMessageBytes: 1_048_588 }
      : { exists: false, reason: 'no such topic' };
  }

  async refresh(): Promise<void> {}

  forget(): void {}
}
