/**
 * Proves a partition owner's bounds (owner.ts I5) end to end on in-memory Kafka and virtual time: a real
 * PartitionOwner on SimKafka, a MemoryKvStore cache and a VirtualClock, fed commands as the consumer would.
 *   - inboxMax: 20 commands offered at once make canAccept() false until ticks drain them; commands fed
 *     only while canAccept() (as the executor does) — every workflow completes;
 *   - tickInputsMax: no tick takes more inputs than the limit (counted over both decision rounds, and as
 *     commands per CommandsConsumed), and every workflow completes;
 *   - stepQueueMax / stepsInFlightMax: with one attempt in flight and two queued at most, ten workflows
 *     whose step blocks never get more than one attempt running or more than two waiting (journaled
 *     StepStarted minus attempts begun), and all complete once released; while blocked the loop sleeps.
 * The tick counter spies on runTick (tick.ts) only to count what each round took; it changes nothing.
 */
import { describe, expect, it, vi } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { decodeRecord, type JournalRecord } from '../../src/journal/index.js';
import { type OwnerLimits, PartitionOwner } from '../../src/partition/index.js';
import { Intake } from '../../src/partition/intake.js';
import type * as TickModule from '../../src/partition/tick.js';
import { type AnyWorkflowDefinition, workflow } from '../../src/workflow/index.js';
import { gate } from '../support/gate.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka } from './simulation/sim-kafka.js';
import { SIM_TOPICS, simOwnerDeps } from './simulation/sim-owner.js';

/** What each decision round took: `first` marks a tick's first round. */
const rounds = vi.hoisted(() => [] as { first: boolean; taken: number }[]);

vi.mock('../../src/partition/tick.js', async (importOriginal) => {
  const mod = await importOriginal<typeof TickModule>();
  const runTick: typeof mod.runTick = (...args) => {
    const result = mod.runTick(...args);
    rounds.push({ first: args[5], taken: result.taken });
    return result;
  };
  return { ...mod, runTick };
});

const P = 0;
const T0 = 1_700_000_000_000;

/** One owner of partition 0 on a fresh SimKafka, with `limits` over the defaults. */
async function ownerWith(limits: Partial<OwnerLimits>, workflows: readonly AnyWorkflowDefinition[]) {
  const kafka = new SimKafka(1, () => P);
  for (const topic of Object.values(SIM_TOPICS)) kafka.createTopic(topic, 1);
  const clock = new VirtualClock(T0);
  const cache = new NodeCache(new MemoryKvStore());
  await cache.open();
  const failures: string[] = [];
  const owner = new PartitionOwner(
    simOwnerDeps(kafka, { partition: P, cache: cache.partition(P), workflows, clock, limits }),
    (_owner, error) => failures.push(String(error)),
  );
  await owner.start();
  let fed = 0;
  const journal = (): JournalRecord[] =>
    kafka.log(SIM_TOPICS.journal, P).flatMap((m) => (m.value === null ? [] : [decodeRecord(m.value)]));
  return {
    owner,
    failures,
    journal,
    /** Produces start commands for `ids`. */
    start(name: string, ids: readonly string[]): void {
      for (const id of ids)
        kafka.produce(
          SIM_TOPICS.commands,
          id,
          Buffer.from(JSON.stringify({ type: 'start', workflow: name, id, input: {} })),
        );
    },
    /** Offers every command not offered yet in one batch; with `whenAccepting`, only if canAccept(). */
    feed(whenAccepting: boolean): number {
      if (whenAccepting && !owner.canAccept()) return 0;
      const log = kafka.log(SIM_TOPICS.commands, P);
      const messages = log.slice(fed).map((m, i) => ({
        offset: String(fed + i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      }));
      fed = log.length;
      owner.offer(messages);
      return messages.length;
    },
    completed: (): number => journal().filter((r) => r.body.kind === 'WorkflowCompleted').length,
  };
}

const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs event-loop turns (calling `each` before each) until `done()`, or fails after `max` turns. */
async function until(done: () => boolean, each: () => void = () => undefined, max = 5_000): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (done()) return;
    each();
    await turn();
  }
  throw new Error('the owner did not get there');
}

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

const doubler = workflow('doubler', async (ctx) => ctx.step('double', () => 2));

describe('owner bounds (owner.ts I5)', () => {
  it('inboxMax 5: 20 commands at once close canAccept() until ticks drain them; all complete', async () => {
    const sim = await ownerWith({ inboxMax: 5, tickInputsMax: 4 }, [doubler]);
    sim.start('doubler', ids('a', 20));
    expect(sim.owner.canAccept()).toBe(true);
    expect(sim.feed(false)).toBe(20);
    expect(sim.owner.canAccept()).toBe(false);
    await until(() => sim.owner.canAccept());
    // Closed until 16 commands were taken, 4 a tick: the fourth tick took its inputs (the inbox opens at the
    // take), though it may not have committed yet.
    expect(sim.owner.stats.ticks).toBeGreaterThanOrEqual(3);
    sim.start('doubler', ids('b', 20)); // then fed only while the owner accepts, a batch at a time
    await until(
      () => sim.completed() === 40,
      () => {
        sim.feed(true);
      },
    );
    expect(sim.owner.stats).toMatchObject({ workflowsStarted: 40, workflowsFinished: 40 }); // counted at commit
    expect(sim.failures).toEqual([]);
    await sim.owner.stop();
  });

  it('tickInputsMax 3: no tick takes more than 3 inputs, and all 20 workflows complete', async () => {
    rounds.length = 0;
    const sim = await ownerWith({ tickInputsMax: 3 }, [doubler]);
    sim.start('doubler', ids('t', 20));
    sim.feed(false);
    await until(() => sim.completed() === 20);
    const perTick: number[] = [];
    for (const r of rounds) {
      if (r.first) perTick.push(0);
      perTick[perTick.length - 1] = (perTick.at(-1) ?? 0) + r.taken;
    }
    const positions = sim
      .journal()
      .flatMap((r) => (r.body.kind === 'CommandsConsumed' ? [r.body.nextOffset] : []));
    const commandsPerTick = positions.map((next, i) => next - (positions[i - 1] ?? 0));
    expect(sim.failures).toEqual([]);
    await sim.owner.stop();
    expect(Math.max(...commandsPerTick)).toBeLessThanOrEqual(3);
    expect(Math.max(...perTick), `inputs per tick: ${perTick.join(' ')}`).toBeLessThanOrEqual(3);
  });

  it('stepQueueMax 2, stepsInFlightMax 1: at most one attempt runs and two wait; all complete after release', async () => {
    const held = gate();
    let running = 0;
    let mostRunning = 0;
    let begun = 0;
    const blocking = workflow('blocking', async (ctx) =>
      ctx.step('wait', async () => {
        begun++;
        running++;
        mostRunning = Math.max(mostRunning, running);
        await held.promise;
        running--;
        return 'ok';
      }),
    );
    const sim = await ownerWith({ stepQueueMax: 2, stepsInFlightMax: 1 }, [blocking]);
    sim.start('blocking', ids('s', 10));
    sim.feed(false);
    const started = (): number => sim.journal().filter((r) => r.body.kind === 'StepStarted').length;
    let quiet = 0;
    let last = '';
    await until(
      () => quiet >= 50,
      () => {
        const now = `${started()}/${begun}/${sim.owner.stats.ticks}`;
        quiet = now === last ? quiet + 1 : 0;
        last = now;
      },
    );
    expect(begun).toBe(1);
    // Blocked, the loop sleeps: inputs that wait for step-queue room are not polled (inbox.ts I3).
    const tickStarts = vi.spyOn(Intake.prototype, 'startTick');
    for (let i = 0; i < 200; i++) await turn();
    expect(tickStarts.mock.calls.length, 'ticks begun while every input waits').toBe(0);
    tickStarts.mockRestore();
    const waiting = started() - begun; // attempts handed to the runner, not yet begun
    expect.soft(waiting, 'attempts waiting in the step runner').toBeLessThanOrEqual(2);
    held.open();
    await until(() => sim.completed() === 10);
    expect(mostRunning).toBe(1);
    expect(begun).toBe(10);
    expect(sim.failures).toEqual([]);
    await sim.owner.stop();
  });
});
