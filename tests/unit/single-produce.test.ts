/**
 * Single-produce ticks (owner-tick.ts I6) and what makes them safe, on in-memory Kafka (no broker):
 *   - journal-only ticks go out as single produces, every other tick (events, offsets) as a transaction, and
 *     a transaction is forced once `confirmIntervalMs` passed without one;
 *   - a zombie — an owner cut off after a newer owner claimed the partition — still lands single produces
 *     (nothing fences them) and writes them to its node's cache; the epoch rule voids them for every reader,
 *     and the next owner on that node finds the newer claim among its cache's unconfirmed records and
 *     rebuilds the partition from the journal (claim.ts I4) instead of trusting them;
 *   - with no newer claim among them, the unconfirmed records are trusted and the cache is kept;
 *   - a single produce that failed with its outcome unknown stops the owner with UnconfirmedWriteError
 *     (owner-failure.ts I4), and the journal keeps no record of the failed tick's workflow twice;
 *   - `stop()` called while a tick is in flight that then fails resolves, and leaves the owner failed;
 *   - a node cache built from another journal (a new cluster under the same state dir) is cleared before it
 *     is used (claim.ts I5): a workflow id it remembers as done starts and runs in the new journal.
 */
import { describe, expect, it } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { UnconfirmedWriteError } from '../../src/errors.js';
import { decodeRecord, EpochFilter, type JournalRecord } from '../../src/journal/index.js';
import { type OwnerLimits, PartitionOwner } from '../../src/partition/index.js';
import { workflow } from '../../src/workflow/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka, SimWriter } from './simulation/sim-kafka.js';
import { SIM_NS, SIM_TOPICS, simOwnerDeps } from './simulation/sim-owner.js';

const P = 0;
const T0 = 1_700_000_000_000;

const chain = workflow('chain', async (ctx, input: { n: number }) => {
  let total = 0;
  for (let i = 0; i < input.n; i++) total += await ctx.step(`s${i}`, () => i);
  return total;
});

/** One SimKafka with nodes (caches) and owners of partition 0 made on them. */
class World {
  readonly kafka = new SimKafka(1, () => P);
  readonly clock = new VirtualClock(T0);
  readonly failures: unknown[] = [];
  readonly kinds: string[] = [];
  private fed = new Map<PartitionOwner, number>();

  constructor() {
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

  /** An owner of partition 0 on `cache`, started; `writer` is its SimWriter. */
  async owner(cache: NodeCache, limits: Partial<OwnerLimits> = {}, executorId = 'node') {
    let writer: SimWriter | undefined;
    const owner = new PartitionOwner(
      simOwnerDeps(this.kafka, {
        partition: P,
        cache: cache.partition(P),
        workflows: [chain],
        clock: this.clock,
        executorId,
        limits,
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

async function until(condition: () => boolean, turns = 2_000): Promise<void> {
  for (let i = 0; i < turns && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe('single-produce ticks (no broker)', () => {
  it('sends journal-only ticks as single produces and the rest, or a tick past confirmIntervalMs, as transactions', async () => {
    const world = new World();
    const { owner } = await world.owner(await world.node());
    world.start('a', 5);
    world.feed(owner);
    await until(() => world.ended('a'));
    // The claim is a transaction; the step ticks single produces; the workflow's end carries a client event,
    // so it is a transaction with the event in it (owner-tick.ts I7).
    expect(world.kinds[0]).toBe('transaction');
    expect(world.kinds.at(-1)).toBe('transaction');
    expect(world.kinds.filter((k) => k === 'single').length).toBeGreaterThanOrEqual(4);
    const events = world.kafka.log(SIM_TOPICS.events, P);
    expect(events.map((m) => m.headers['logbook-event'])).toContain('WorkflowCompleted');

    world.kinds.length = 0;
    world.clock.advance(5_000); // past confirmIntervalMs (1 s): the next tick is a transaction
    world.start('b', 3);
    world.feed(owner);
    await until(() => world.ended('b'));
    expect(world.kinds[0]).toBe('transaction');
    expect(world.failures).toEqual([]);
    await owner.stop();
  });

  it('transactions only when singleProduceTicks is off', async () => {
    const world = new World();
    const { owner } = await world.owner(await world.node(), { singleProduceTicks: false });
    world.start('a', 5);
    world.feed(owner);
    await until(() => world.ended('a'));
    expect(world.kinds.filter((k) => k === 'single')).toEqual([]);
    await owner.stop();
  });

  it("voids a zombie's single produces, and its node rebuilds instead of trusting them", async () => {
    const world = new World();
    const nodeA = await world.node();
    const a = await world.owner(nodeA, {}, 'node-a');
    world.start('before', 2);
    world.feed(a.owner);
    await until(() => world.ended('before'));

    // A newer owner claims the partition on node B; A is cut off but runs on (a zombie).
    const b = await world.owner(await world.node(), {}, 'node-b');
    const claims = world.journal().filter((r) => r.body.kind === 'OwnerClaimed').length;
    expect(claims).toBe(2);
    const rawBefore = world.rawCount();
    world.start('zombie', 1); // offered to A only
    world.feed(a.owner);
    await until(() => world.rawCount() > rawBefore); // A's single produce landed: nothing fences it
    await until(() => a.owner.currentPhase !== 'running' || world.rawCount() > rawBefore);
    expect(world.journal().some((r) => r.workflowId === 'zombie')).toBe(false); // void by the epoch rule
    const zombieCache = await nodeA.partition(P).workflows(['zombie']);
    expect(zombieCache.has('zombie')).toBe(true); // A's cache took its own void records...
    a.writer.kill();
    await a.owner.stop();
    await b.owner.stop();

    // ...and the next owner on node A finds B's claim among them and rebuilds the partition's cache.
    const again = await world.owner(nodeA, {}, 'node-a');
    expect(again.owner.stats.cachedCheckpoint).toBe(-1);
    expect((await nodeA.partition(P).workflows(['zombie'])).has('zombie')).toBe(false);
    expect((await nodeA.partition(P).workflows(['before'])).get('before')?.state.status).toBe('completed');
    await again.owner.stop();
  });

  it('trusts unconfirmed records when no newer claim is among them', async () => {
    const world = new World();
    const node = await world.node();
    const first = await world.owner(node);
    world.start('a', 4);
    world.feed(first.owner);
    await until(() => world.journal().filter((r) => r.body.kind === 'StepCompleted').length >= 2);
    const checkpoint = await node.partition(P).checkpoint();
    expect(checkpoint.confirmedOffset).toBeDefined(); // single produces after the last transaction
    first.writer.kill(); // SIGKILL
    await first.owner.stop();
    const second = await world.owner(node);
    expect(second.owner.stats.cachedCheckpoint).toBe(checkpoint.journalOffset); // kept, not rebuilt
    world.feed(second.owner);
    await until(() => world.ended('a'));
    const completions = world
      .journal()
      .filter((r) => r.workflowId === 'a' && r.body.kind === 'StepCompleted');
    expect(new Set(completions.map((r) => ('callSeq' in r.body ? r.body.callSeq : -1))).size).toBe(
      completions.length,
    );
    await second.owner.stop();
  });

  it('stop() while a tick is in flight that then fails: stop resolves, and the owner ends failed', async () => {
    const world = new World();
    let release: (() => void) | undefined;
    const { owner, writer } = await world.owner(await world.node());
    world.start('a', 50);
    world.feed(owner);
    await until(() => world.journal().some((r) => r.body.kind === 'StepCompleted'));
    const append = writer.append.bind(writer);
    writer.append = async (messages) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return append(messages);
    };
    await until(() => release !== undefined); // the next step tick is in flight, held
    world.kafka.faults.set(`${SIM_NS}.p${P}`, 'landed-then-failed');
    const stopping = owner.stop();
    release?.();
    await expect(stopping).resolves.toBeUndefined(); // it threw an InvariantError (failed → stopped) before
    expect(owner.currentPhase).toBe('failed');
    expect(world.failures[0]).toBeInstanceOf(UnconfirmedWriteError);
  });

  it('stops the owner with UnconfirmedWriteError when a single produce fails with its outcome unknown', async () => {
    const world = new World();
    const { owner } = await world.owner(await world.node());
    world.start('a', 50);
    world.feed(owner); // the start tick commits the group offset too: a transaction
    await until(() => world.journal().some((r) => r.body.kind === 'StepCompleted'));
    world.kafka.faults.set(`${SIM_NS}.p${P}`, 'landed-then-failed'); // the next step tick: a single produce
    await until(() => world.failures.length > 0);
    expect(world.failures[0]).toBeInstanceOf(UnconfirmedWriteError);
    await owner.stop();
  });
});

describe('a cache from another journal (claim.ts I5)', () => {
  it('is cleared when it is ahead of the journal, and the new journal’s workflows run', async () => {
    const old = new World();
    const node = await old.node();
    const first = await old.owner(node);
    old.start('o-1', 2);
    old.feed(first.owner);
    await until(() => old.ended('o-1'));
    await first.owner.stop();
    expect((await node.partition(P).checkpoint()).journalOffset).toBeGreaterThan(0);

    const fresh = new World(); // a new cluster: an empty journal, the same state dir
    const again = await fresh.owner(node);
    expect(again.owner.stats.cachedCheckpoint).toBe(-1); // cleared, not trusted
    fresh.start('o-1', 2);
    fresh.feed(again.owner);
    await until(() => fresh.ended('o-1'));
    expect(
      fresh.journal().filter((r) => r.workflowId === 'o-1' && r.body.kind === 'StepCompleted'),
    ).toHaveLength(2);
    await again.owner.stop();
  });
});
