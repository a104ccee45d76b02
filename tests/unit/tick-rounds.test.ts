/**
 * Waiting for bodies (run-registry.ts I4, I5), on in-memory Kafka (no broker): a tick hands its first
 * round's records to the bodies and takes the calls they make as its second round, in the same write. The
 * wait is a drain of the microtask queue, not a turn of the event loop, so these prove it is a full drain:
 *   - a body that goes through a long chain of nested awaits between its calls still has each call taken
 *     in the tick that woke it: the start and the first StepStarted share one write, and each StepCompleted
 *     shares one with the next StepStarted;
 *   - a run rebuilt from a history several times `REPLAY_RECORDS_PER_TURN` long (a new owner on the same
 *     node's cache) replays it whole, across the loop turns it takes, runs no step again, and finishes with
 *     the right result.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { decodeRecord, EpochFilter } from '../../src/journal/index.js';
import { PartitionOwner } from '../../src/partition/index.js';
import { REPLAY_RECORDS_PER_TURN } from '../../src/partition/run-registry.js';
import type { AnyWorkflowDefinition } from '../../src/workflow/index.js';
import { workflow } from '../../src/workflow/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka } from './simulation/sim-kafka.js';
import { SIM_TOPICS, simOwnerDeps } from './simulation/sim-owner.js';

const P = 0;
const T0 = 1_700_000_000_000;

/** `depth` nested async calls, each awaiting a resolved promise twice: a few hundred microtask hops. */
async function deep(depth: number): Promise<number> {
  if (depth === 0) return 0;
  await Promise.resolve();
  const below = await deep(depth - 1);
  await null;
  return below + 1;
}

const winding = workflow('winding', async (ctx, input: { steps: number }) => {
  let total = await deep(100);
  for (let i = 0; i < input.steps; i++) {
    total += await ctx.step(`s${i}`, () => i);
    total += await deep(100);
  }
  return total;
});

let longStepRuns = 0;
const long = workflow('long', async (ctx, input: { steps: number }) => {
  let total = 0;
  for (let i = 0; i < input.steps; i++)
    total += await ctx.step(`s${i}`, () => {
      longStepRuns++;
      return i;
    });
  const bonus = await ctx.signal<number>('bonus');
  return total + bonus;
});

/** One SimKafka whose journal writes are kept as lists of record kinds, one list a write. */
class World {
  readonly kafka = new SimKafka(1, () => P);
  readonly clock = new VirtualClock(T0);
  readonly writes: string[][] = [];
  readonly failures: unknown[] = [];
  private fed = 0;

  constructor() {
    for (const topic of Object.values(SIM_TOPICS)) this.kafka.createTopic(topic, 1);
    const append = this.kafka.append.bind(this.kafka);
    this.kafka.append = (messages) => {
      this.writes.push(
        messages
          .filter((m) => m.topic === SIM_TOPICS.journal && Buffer.isBuffer(m.value))
          .map((m) => decodeRecord(m.value as Buffer).body.kind),
      );
      return append(messages);
    };
  }

  async owner(cache: NodeCache, workflows: readonly AnyWorkflowDefinition[]): Promise<PartitionOwner> {
    const deps = simOwnerDeps(this.kafka, {
      partition: P,
      cache: cache.partition(P),
      workflows,
      clock: this.clock,
    });
    const owner = new PartitionOwner(deps, (_owner, error) => this.failures.push(error));
    started.push(owner);
    await owner.start();
    return owner;
  }

  send(command: Record<string, unknown>, key: string): void {
    this.kafka.produce(SIM_TOPICS.commands, key, Buffer.from(JSON.stringify(command)));
  }

  /** Offers `owner` every command it has not seen yet. */
  feed(owner: PartitionOwner): void {
    const log = this.kafka.log(SIM_TOPICS.commands, P);
    owner.offer(
      log.slice(this.fed).map((m, i) => ({
        offset: String(this.fed + i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      })),
    );
    this.fed = log.length;
  }

  result(id: string): unknown {
    const filter = new EpochFilter();
    for (const [offset, m] of this.kafka.log(SIM_TOPICS.journal, P).entries()) {
      if (m.value === null) continue;
      const r = decodeRecord(m.value);
      if (filter.accept(r, offset) && r.workflowId === id && r.body.kind === 'WorkflowCompleted')
        return r.body.result;
    }
    return undefined;
  }
}

/** Every owner a test made, stopped after it whatever its outcome (stopping twice is a no-op). */
const started: PartitionOwner[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((owner) => owner.stop()));
});

async function until(condition: () => boolean, turns = 5_000): Promise<void> {
  for (let i = 0; i < turns && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

async function node(): Promise<NodeCache> {
  const cache = new NodeCache(new MemoryKvStore());
  await cache.open();
  return cache;
}

describe('waiting for bodies (no broker)', () => {
  it('takes a call made after a long chain of awaits in the tick that woke the body', async () => {
    const world = new World();
    const owner = await world.owner(await node(), [winding]);
    world.send({ type: 'start', workflow: 'winding', id: 'w', input: { steps: 3 } }, 'w');
    world.feed(owner);
    await until(() => world.result('w') !== undefined);
    expect(world.result('w')).toBe(100 * 4 + 0 + 1 + 2);
    const steps = world.writes.filter((kinds) => kinds.some((k) => k.startsWith('Step')));
    expect(steps.slice(0, 3)).toEqual([
      ['WorkflowStarted', 'StepStarted', 'CommandsConsumed'],
      ['StepCompleted', 'StepStarted'],
      ['StepCompleted', 'StepStarted'],
    ]);
    expect(steps[3]).toEqual(['StepCompleted', 'WorkflowCompleted']);
    expect(world.failures).toEqual([]);
    await owner.stop();
  });

  it(`replays a history several times ${REPLAY_RECORDS_PER_TURN} records long whole, and finishes`, async () => {
    const world = new World();
    const cache = await node();
    const steps = REPLAY_RECORDS_PER_TURN * 2;
    longStepRuns = 0;
    const first = await world.owner(cache, [long]);
    world.send({ type: 'start', workflow: 'long', id: 'l', input: { steps } }, 'l');
    world.feed(first);
    await until(() => world.writes.some((kinds) => kinds.includes('SignalAwaited')));
    await first.stop();

    const second = await world.owner(cache, [long]); // rebuilds the run from this node's cache
    world.send({ type: 'signal', id: 'l', name: 'bonus', payload: 1_000 }, 'l');
    world.feed(second);
    await until(() => world.result('l') !== undefined);
    expect(world.result('l')).toBe(1_000 + (steps * (steps - 1)) / 2);
    expect(longStepRuns).toBe(steps); // the second owner replayed every result, it ran no step again
    expect(second.stats.workflowsFinished).toBe(1);
    expect(world.failures).toEqual([]);
    await second.stop();
  });
});
