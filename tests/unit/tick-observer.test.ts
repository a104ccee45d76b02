/**
 * Proves the owner's tick observer (partition/tick-observer.ts) on in-memory Kafka (no broker): it is told
 * of every committed write exactly once, with exactly the records the journal holds (claims aside, which
 * are not ticks), the workflow name of each, the write's latency and its dead letters; a write that failed
 * (nothing landed) and was rolled back and retried is observed once, when it commits.
 */
import { describe, expect, it } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { decodeRecord, type JournalRecord } from '../../src/journal/index.js';
import { type CommittedTick, PartitionOwner } from '../../src/partition/index.js';
import { workflow } from '../../src/workflow/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka } from './simulation/sim-kafka.js';
import { SIM_NS, SIM_TOPICS, simOwnerDeps } from './simulation/sim-owner.js';

const P = 0;

const pair = workflow('pair', async (ctx, input: { n: number }) => {
  const a = await ctx.step('first', () => input.n);
  return ctx.step('second', () => a + 1);
});

async function setup(singleProduceTicks: boolean) {
  const kafka = new SimKafka(1, () => P);
  for (const topic of Object.values(SIM_TOPICS)) kafka.createTopic(topic, 1);
  const clock = new VirtualClock(1_700_000_000_000);
  const cache = new NodeCache(new MemoryKvStore());
  await cache.open();
  const observed: CommittedTick[] = [];
  const failures: unknown[] = [];
  const logs: string[] = [];
  const deps = simOwnerDeps(kafka, {
    partition: P,
    cache: cache.partition(P),
    workflows: [pair],
    clock,
    limits: { singleProduceTicks },
    logger: { log: (_level, message) => void logs.push(message) },
  });
  const owner = new PartitionOwner(
    { ...deps, tickObserver: { tickCommitted: (tick) => void observed.push(tick) } },
    (_owner, error) => failures.push(error),
  );
  await owner.start();
  let fed = 0;
  const start = (id: string, n: number, type = 'start') => {
    const command = { type, workflow: 'pair', id, input: { n } };
    kafka.produce(SIM_TOPICS.commands, id, Buffer.from(JSON.stringify(command)));
    const log = kafka.log(SIM_TOPICS.commands, P);
    owner.offer(
      log.slice(fed).map((m, i) => ({
        offset: String(fed + i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      })),
    );
    fed = log.length;
  };
  const journal = (): JournalRecord[] =>
    kafka.log(SIM_TOPICS.journal, P).flatMap((m) => (m.value === null ? [] : [decodeRecord(m.value)]));
  const until = async (condition: () => boolean) => {
    for (let i = 0; i < 5_000 && !condition(); i++) {
      clock.advance(10); // lets a backoff after a failed write run out
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(condition()).toBe(true);
  };
  const ended = (id: string) =>
    journal().some((r) => r.workflowId === id && r.body.kind === 'WorkflowCompleted');
  return { kafka, owner, observed, failures, logs, start, journal, until, ended };
}

describe('the tick observer', () => {
  it.each([true, false])(
    'sees exactly the journal, each record once, with workflow names (single produces: %s)',
    async (single) => {
      const w = await setup(single);
      w.start('a', 1);
      w.start('b', 2);
      w.start('bad', 0, 'frobnicate'); // a dead letter
      await w.until(() => w.ended('a') && w.ended('b'));
      const fromJournal = w.journal().filter((r) => r.body.kind !== 'OwnerClaimed');
      expect(w.observed.flatMap((t) => t.records)).toEqual(fromJournal);
      const names = new Set(
        w.observed.flatMap((t) => [...t.workflowNames.entries()].map((e) => e.join('='))),
      );
      expect(names).toEqual(new Set(['a=pair', 'b=pair']));
      expect(w.observed.flatMap((t) => t.deadLetters.map((d) => d.code))).toEqual(['LB_CMD_UNKNOWN_TYPE']);
      for (const t of w.observed) expect(t.writeMs).toBeGreaterThanOrEqual(0);
      expect(w.failures).toEqual([]);
      await w.owner.stop();
    },
  );

  it('a write that failed (nothing landed) is rolled back, retried, and observed once when it commits', async () => {
    const w = await setup(false);
    w.start('a', 1);
    await w.until(() => w.ended('a'));
    const before = w.observed.length;
    w.kafka.faults.set(`${SIM_NS}.p${P}`, 'lost'); // the next transaction fails and lands nothing
    w.start('b', 5);
    await w.until(() => w.ended('b'));
    expect(w.kafka.faults.size).toBe(0); // the fault was met
    expect(w.logs).toContain('partition owner backing off');
    expect(w.owner.stats.failing).toBeNull();
    expect(w.observed.length).toBeGreaterThan(before);
    const fromJournal = w.journal().filter((r) => r.body.kind !== 'OwnerClaimed');
    expect(w.observed.flatMap((t) => t.records)).toEqual(fromJournal);
    expect(fromJournal.filter((r) => r.workflowId === 'b' && r.body.kind === 'WorkflowStarted')).toHaveLength(
      1,
    );
    await w.owner.stop();
  });
});
