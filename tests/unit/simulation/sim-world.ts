/**
 * A world for tests of one partition owner on in-memory Kafka (no broker): a SimKafka with one partition,
 * node caches, owners of partition 0 made on them, and the journal as every reader sees it.
 */
import { expect } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../../src/cache/index.js';
import { decodeRecord, EpochFilter, type JournalRecord } from '../../../src/journal/index.js';
import { type OwnerLimits, PartitionOwner } from '../../../src/partition/index.js';
import { workflow } from '../../../src/workflow/index.js';
import { VirtualClock } from './sim-clock.js';
import { SimKafka, SimWriter } from './sim-kafka.js';
import { SIM_TOPICS, simOwnerDeps } from './sim-owner.js';

export const P = 0;
export const T0 = 1_700_000_000_000;

export const chain = workflow('chain', async (ctx, input: { n: number }) => {
  let total = 0;
  for (let i = 0; i < input.n; i++) total += await ctx.step(`s${i}`, () => i);
  return total;
});

/** One SimKafka with nodes (caches) and owners of partition 0 made on them. */
export class World {
  readonly kafka = new SimKafka(1, () => P);
  readonly clock = new VirtualClock(T0);
  readonly failures: unknown[] = [];
  readonly kinds: string[] = [];
  private fed = new Map<PartitionOwner, number>();

  /** `eventsAfterJournal`: owners may send a tick's events after its journal records (tick-events.ts). */
  constructor(private readonly options: { readonly eventsAfterJournal?: boolean } = {}) {
    for (const topic of Object.values(SIM_TOPICS)) this.kafka.createTopic(topic, 1);
    const append = this.kafka.append.bind(this.kafka);
    // Which writes were single produces: a spy on how writes reach the log, changing nothing.
    this.kafka.append = (messages) => {
      this.kinds.push(this.writing);
      return append(messages);
    };
  }

  writing = 'transaction';

  async node(): Promise<NodeCache> {
    const cache = new NodeCache(new MemoryKvStore());
    await cache.open();
    return cache;
  }

  /**
   * An owner of partition 0 on `cache`, started; `writer` is its SimWriter, which `onWriter` may rig
   * before the owner starts.
   */
  async owner(
    cache: NodeCache,
    limits: Partial<OwnerLimits> = {},
    executorId = 'node',
    onWriter?: (writer: SimWriter) => void,
  ) {
    let writer: SimWriter | undefined;
    const owner = new PartitionOwner(
      simOwnerDeps(this.kafka, {
        partition: P,
        cache: cache.owned(P),
        workflows: [chain],
        clock: this.clock,
        executorId,
        limits,
        ...(this.options.eventsAfterJournal === true ? { eventsAfterJournal: true } : {}),
        writer: (inner) => {
          if (inner instanceof SimWriter) {
            writer = inner;
            const append = inner.append.bind(inner);
            inner.append = async (messages) => {
              this.writing = 'single';
              try {
                return await append(messages);
              } finally {
                this.writing = 'transaction';
              }
            };
            onWriter?.(inner);
          }
          return inner;
        },
      }),
      (_owner, error) => this.failures.push(error),
    );
    await owner.start();
    this.fed.set(owner, this.kafka.groupOffsets.get(`${SIM_TOPICS.commands}:${P}`) ?? 0);
    if (writer === undefined) throw new Error('no sim writer');
    return { owner, writer };
  }

  start(id: string, n: number): void {
    const command = { type: 'start', workflow: 'chain', id, input: { n } };
    this.kafka.produce(SIM_TOPICS.commands, id, Buffer.from(JSON.stringify(command)));
  }

  /** Offers `owner` the commands it has not seen yet. */
  feed(owner: PartitionOwner): void {
    const from = this.fed.get(owner) ?? 0;
    const log = this.kafka.log(SIM_TOPICS.commands, P);
    owner.offer(
      log.slice(from).map((m, i) => ({
        offset: String(from + i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      })),
    );
    this.fed.set(owner, log.length);
  }

  /** The journal as every reader sees it: the epoch rule applied. */
  journal(): JournalRecord[] {
    const filter = new EpochFilter();
    return this.kafka
      .log(SIM_TOPICS.journal, P)
      .flatMap((m, offset) => (m.value === null ? [] : [{ r: decodeRecord(m.value), offset }]))
      .filter(({ r, offset }) => filter.accept(r, offset))
      .map(({ r }) => r);
  }

  /** Every record in the log, void ones included. */
  rawCount(): number {
    return this.kafka.log(SIM_TOPICS.journal, P).length;
  }

  ended(id: string): boolean {
    return this.journal().some((r) => r.workflowId === id && r.body.kind === 'WorkflowCompleted');
  }
}

export async function until(condition: () => boolean, turns = 2_000): Promise<void> {
  for (let i = 0; i < turns && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
