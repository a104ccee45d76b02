/**
 * A tick's outcome events sent after its journal records (tick-events.ts, D35), on in-memory Kafka (no
 * broker; the broker's fencing of a late event is in tests/integration/tick-events.test.ts):
 *   - the events follow the journal as a second single produce; the journal's last record of the tick holds
 *     them, and each names that record's offset;
 *   - a tick with a status answer, or with more event bytes than `appendEventsBytesMax`, is a transaction;
 *   - an owner that stopped between the two appends: the next owner sends the events, once;
 *   - one that sent both, or whose events landed though the produce failed: the next owner sends nothing;
 *   - a successor that died before it sent them, past its claim and fence: the one after it sends them;
 *   - events Kafka refuses after the journal took the tick: the tick commits, the workflow stays done;
 *   - with `eventsAfterJournal` off, a tick's events ride in its transaction;
 *   - events Kafka refuses at the claim, or a malformed events header, do not stop the partition;
 *   - a zombie's events that arrive after the successor's fence are refused, so they are not sent twice.
 */
import { describe, expect, it } from 'vitest';
import { FencedError, UnconfirmedWriteError } from '../../src/errors.js';
import { JOURNAL_SCHEMA_VERSION } from '../../src/journal/index.js';
import type { OutMessage } from '../../src/partition/index.js';
import { JOURNAL_OFFSET_HEADER, journalMessage, TICK_EVENTS_HEADER } from '../../src/partition/index.js';
import type { SimWriter } from './simulation/sim-kafka.js';
import { SIM_NS, SIM_TOPICS } from './simulation/sim-owner.js';
import { P, until, World } from './simulation/sim-world.js';

/** The WorkflowCompleted events of `id` on the events partition. */
function completions(world: World, id: string) {
  return world.kafka
    .log(SIM_TOPICS.events, P)
    .filter((m) => m.key === id && m.headers['logbook-event'] === 'WorkflowCompleted');
}

const isEvents = (messages: readonly OutMessage[]) => messages[0]?.topic === SIM_TOPICS.events;

/** Makes `writer`'s next events append run `before` first (say, a SIGKILL), then go on as it would. */
function onEventsAppend(writer: SimWriter, before: () => void | Promise<void>): void {
  const append = writer.append.bind(writer);
  writer.append = async (messages) => {
    if (isEvents(messages)) await before();
    return append(messages);
  };
}

/** A world whose first owner was SIGKILLed between workflow `a`'s journal produce and its events'. */
async function killedBetweenProduces(): Promise<World> {
  const world = new World({ eventsAfterJournal: true });
  const first = await world.owner(await world.node(), {}, 'node-a');
  onEventsAppend(first.writer, () => first.writer.kill());
  world.start('a', 2);
  world.feed(first.owner);
  await until(() => world.ended('a') && world.failures.length > 0);
  await first.owner.stop();
  return world;
}

describe('events after the journal (no broker)', () => {
  it('sends the events after the journal records, held by the last record and naming its offset', async () => {
    const world = new World({ eventsAfterJournal: true });
    const { owner } = await world.owner(await world.node());
    world.start('a', 3);
    world.feed(owner);
    await until(() => completions(world, 'a').length === 1);
    expect(world.kinds.slice(-2)).toEqual(['single', 'single']); // the journal's produce, then the events'
    const [event] = completions(world, 'a');
    const at = Number(event?.headers[JOURNAL_OFFSET_HEADER]);
    const holder = world.kafka.log(SIM_TOPICS.journal, P)[at];
    const kept = JSON.parse(holder?.headers[TICK_EVENTS_HEADER] ?? '[]') as { key: string; value: string }[];
    expect(kept).toEqual([expect.objectContaining({ key: 'a', value: event?.value?.toString() })]);
    expect(world.kafka.log(SIM_TOPICS.journal, P)).toHaveLength(at + 1); // the tick's last record
    expect(world.failures).toEqual([]);
    await owner.stop();
  });

  it('sends a status answer, or events over appendEventsBytesMax, in a transaction', async () => {
    const world = new World({ eventsAfterJournal: true });
    const { owner } = await world.owner(await world.node(), { appendEventsBytesMax: 40 });
    world.start('a', 1);
    world.feed(owner);
    await until(() => completions(world, 'a').length === 1);
    expect(world.kinds.at(-1)).toBe('transaction'); // the event takes more than 40 bytes
    expect(completions(world, 'a')[0]?.headers[JOURNAL_OFFSET_HEADER]).toBeUndefined();
    await owner.stop();

    const again = await world.owner(await world.node());
    const query = { type: 'query', id: 'a', requestId: 'r-1' };
    world.kafka.produce(SIM_TOPICS.commands, 'a', Buffer.from(JSON.stringify(query)));
    world.kinds.length = 0;
    world.feed(again.owner);
    const answered = () =>
      world.kafka.log(SIM_TOPICS.events, P).some((m) => m.headers['logbook-event'] === 'WorkflowStatus');
    await until(answered);
    expect(world.kinds).toEqual(['transaction']);
    await again.owner.stop();
  });

  it('sends the events in the transaction when eventsAfterJournal is off (a rolling upgrade)', async () => {
    const world = new World({ eventsAfterJournal: true });
    const { owner } = await world.owner(await world.node(), { eventsAfterJournal: false });
    world.start('a', 2);
    world.feed(owner);
    await until(() => completions(world, 'a').length === 1);
    expect(world.kinds.at(-1)).toBe('transaction');
    expect(completions(world, 'a')[0]?.headers[JOURNAL_OFFSET_HEADER]).toBeUndefined();
    await owner.stop();
  });

  it('an owner that stopped between the two appends: the next owner sends the events once', async () => {
    const world = await killedBetweenProduces(); // the journal holds the completion
    expect(completions(world, 'a')).toEqual([]);

    const next = await world.owner(await world.node(), {}, 'node-b');
    expect(next.owner.stats.eventsResent).toBe(1);
    expect(completions(world, 'a')).toHaveLength(1);
    const kinds = world.journal().map((r) => r.body.kind);
    expect(kinds.slice(-2)).toEqual(['OwnerClaimed', 'CommandsConsumed']); // settled, once (tick-events.ts I7)
    const eventsEnd = world.kafka.log(SIM_TOPICS.events, P).length;
    const again = await world.owner(await world.node(), {}, 'node-c');
    expect(again.owner.stats.eventsResent).toBe(0);
    expect(completions(world, 'a')).toHaveLength(1);
    expect(world.kafka.log(SIM_TOPICS.events, P)).toHaveLength(eventsEnd); // no fence: nothing to settle
    await next.owner.stop();
    await again.owner.stop();
  });

  it('an owner whose events landed, though their produce failed: the next owner sends nothing', async () => {
    const world = new World({ eventsAfterJournal: true });
    const first = await world.owner(await world.node(), {}, 'node-a');
    onEventsAppend(first.writer, () => {
      world.kafka.faults.set(`${SIM_NS}.p${P}`, 'landed-then-failed');
    });
    world.start('a', 2);
    world.feed(first.owner);
    await until(() => world.failures.length > 0);
    expect(world.failures[0]).toBeInstanceOf(UnconfirmedWriteError);
    expect(completions(world, 'a')).toHaveLength(1);
    await first.owner.stop();
    const next = await world.owner(await world.node(), {}, 'node-b');
    expect(next.owner.stats.eventsResent).toBe(0);
    expect(completions(world, 'a')).toHaveLength(1);
    await next.owner.stop();
  });

  it('a successor that died before it sent them: the owner after it, past two claims, sends them once', async () => {
    const world = await killedBetweenProduces();
    const dying = world.owner(await world.node(), {}, 'node-b', (writer) =>
      onEventsAppend(writer, () => writer.kill()),
    );
    await expect(dying).rejects.toThrow(/the process is gone/);
    expect(completions(world, 'a')).toEqual([]);

    const next = await world.owner(await world.node(), {}, 'node-c');
    expect(world.journal().filter((r) => r.body.kind === 'OwnerClaimed')).toHaveLength(3);
    expect(next.owner.stats.eventsResent).toBe(1);
    expect(completions(world, 'a')).toHaveLength(1);
    await next.owner.stop();
  });

  it('events Kafka refuses at the claim: the partition still starts, the journal keeps them', async () => {
    const world = await killedBetweenProduces();
    world.kafka.refusing.add(SIM_TOPICS.events);
    const next = await world.owner(await world.node(), {}, 'node-b');
    expect(next.owner.currentPhase).toBe('running');
    expect(next.owner.stats.eventsResent).toBe(0);
    expect(completions(world, 'a')).toEqual([]);
    expect(world.journal().at(-1)?.body.kind).toBe('CommandsConsumed'); // settled all the same: once
    const holder = world.kafka
      .log(SIM_TOPICS.journal, P)
      .find((m) => m.headers[TICK_EVENTS_HEADER] !== undefined);
    expect(holder?.headers[TICK_EVENTS_HEADER]).toContain('WorkflowCompleted');
    await next.owner.stop();
  });

  it('a tick events header that is not what Logbook writes: the partition still starts, nothing is sent', async () => {
    const world = new World({ eventsAfterJournal: true });
    const record = {
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      workflowId: '',
      seq: 0,
      atMs: 0,
      body: { kind: 'CommandsConsumed', partition: P, nextOffset: 0 },
    } as const;
    const message = journalMessage(record, SIM_TOPICS, P);
    world.kafka.append([{ ...message, headers: { ...message.headers, [TICK_EVENTS_HEADER]: '[{"key":' } }]);
    const { owner } = await world.owner(await world.node());
    expect(owner.currentPhase).toBe('running');
    expect(owner.stats.eventsResent).toBe(0);
    expect(world.kafka.log(SIM_TOPICS.events, P).filter((m) => m.value !== null)).toEqual([]);
    expect(world.journal().at(-1)?.body.kind).toBe('CommandsConsumed'); // settled all the same: once
    await owner.stop();
  });

  it('events Kafka refuses after the journal took the tick: the tick commits, the partition goes on', async () => {
    const world = new World({ eventsAfterJournal: true });
    const { owner, writer } = await world.owner(await world.node());
    let first = true;
    onEventsAppend(writer, () => {
      if (first) world.kafka.refusing.add(SIM_TOPICS.events); // say, the events topic's limit lowered
      first = false;
    });
    world.start('a', 2);
    world.feed(owner);
    await until(() => world.ended('a'));
    world.kafka.refusing.delete(SIM_TOPICS.events);
    world.start('b', 1);
    world.feed(owner);
    await until(() => completions(world, 'b').length === 1);
    expect(world.failures).toEqual([]);
    expect(completions(world, 'a')).toEqual([]); // refused: logged; the journal record holds it
    const ends = world.journal().filter((r) => r.workflowId === 'a' && r.body.kind.startsWith('Workflow'));
    expect(ends.map((r) => r.body.kind)).toEqual(['WorkflowStarted', 'WorkflowCompleted']);
    await owner.stop();
  });

  it("refuses a zombie's events that arrive after the successor's fence: they are sent once", async () => {
    const world = new World({ eventsAfterJournal: true });
    const zombie = await world.owner(await world.node(), {}, 'node-a');
    let release: (() => void) | undefined;
    onEventsAppend(zombie.writer, () => new Promise<void>((resolve) => (release = resolve)));
    world.start('a', 2);
    world.feed(zombie.owner);
    await until(() => release !== undefined); // the journal's produce landed; the events' is held

    const next = await world.owner(await world.node(), {}, 'node-b');
    expect(next.owner.stats.eventsResent).toBe(1);
    release?.();
    await until(() => world.failures.length > 0);
    expect(world.failures[0]).toBeInstanceOf(FencedError); // its events' produce was refused
    expect(completions(world, 'a')).toHaveLength(1);
    await zombie.owner.stop();
    await next.owner.stop();
  });
});
