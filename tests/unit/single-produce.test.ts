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
 *   - a single produce that sent nothing (NotSentError: its writer could not be reset) backs the owner off
 *     and is tried again, without stopping it;
 *   - `stop()` called while a tick is in flight that then fails resolves, and leaves the owner failed;
 *   - a node cache built from another journal (a new cluster under the same state dir) is cleared before it
 *     is used (claim.ts I5): a workflow id it remembers as done starts and runs in the new journal.
 */
import { describe, expect, it } from 'vitest';
import { NotSentError, UnconfirmedWriteError } from '../../src/errors.js';
import { SIM_NS, SIM_TOPICS } from './simulation/sim-owner.js';
import { P, until, World } from './simulation/sim-world.js';

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

  it('confirms the waiting single produces in a transaction once idle for confirmIntervalMs', async () => {
    const world = new World({ eventsAfterJournal: true }); // the last tick too is single produces
    const { owner } = await world.owner(await world.node());
    world.start('a', 2);
    world.feed(owner);
    await until(() => world.kafka.log(SIM_TOPICS.events, P).length > 0);
    await until(() => owner.positionsNow.confirmedOffset < owner.positionsNow.journalOffset);
    expect(owner.confirmedCommandOffset).toBe(0); // the start is journaled, by a single produce
    for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve)); // the loop sleeps
    world.kinds.length = 0;
    world.clock.advance(1_000); // confirmIntervalMs: the owner wakes with nothing to do, and confirms
    await until(() => owner.confirmedCommandOffset === 1);
    expect(world.kinds).toEqual(['transaction']);
    expect(world.journal().at(-1)?.body.kind).toBe('CommandsConsumed');
    expect(owner.positionsNow.confirmedOffset).toBe(owner.positionsNow.journalOffset);
    world.clock.advance(5_000);
    for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(world.kinds).toEqual(['transaction']); // once: nothing waits any more
    await owner.stop();
  });

  it('a refused idle confirmation is tried again an interval later, not at once', async () => {
    const world = new World({ eventsAfterJournal: true });
    const { owner } = await world.owner(await world.node());
    world.start('a', 2);
    world.feed(owner);
    await until(() => world.kafka.log(SIM_TOPICS.events, P).length > 0);
    for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve)); // the loop sleeps
    world.kafka.refusing.add(SIM_TOPICS.journal); // say, the journal's ACL was revoked
    world.kinds.length = 0;
    world.clock.advance(1_000);
    for (let ms = 0; ms < 500; ms += 10) {
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      world.clock.advance(10); // a timer set to fire at once fires
    }
    expect(world.kinds).toEqual(['transaction']); // one attempt, refused, and none again within the interval
    world.kafka.refusing.delete(SIM_TOPICS.journal);
    world.clock.advance(500);
    await until(() => owner.confirmedCommandOffset === 1);
    expect(world.kinds).toEqual(['transaction', 'transaction']);
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

describe('a single produce that sent nothing', () => {
  it('backs the owner off and tries again, without stopping it (NotSentError)', async () => {
    const world = new World();
    const { owner, writer } = await world.owner(await world.node());
    world.start('a', 50);
    world.feed(owner);
    await until(() => world.journal().some((r) => r.body.kind === 'StepCompleted'));
    const append = writer.append.bind(writer);
    let refusedOnce = false;
    writer.append = async (messages) => {
      if (refusedOnce) return append(messages);
      refusedOnce = true;
      throw new NotSentError('the writer could not be reset: broker down');
    };
    await until(() => owner.stats.failing !== null);
    world.clock.advance(60_000);
    await until(() => world.journal().some((r) => r.body.kind === 'WorkflowCompleted'));
    expect(world.failures).toEqual([]);
    expect(owner.currentPhase).toBe('running');
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
