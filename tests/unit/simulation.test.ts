/**
 * A seeded simulation of the whole partition owner — machine, replay, runs, cache, timers, isolation —
 * on in-memory Kafka and virtual time, with no broker (issue 6). Each seed starts a mix of workflows,
 * signals and cancels them at random, and meanwhile crashes owners — SIGKILL, the node restarting on its
 * own cache, or a zombie cut off on its node that runs on until fenced while a new node takes over — makes writes fail before they land or
 * after (the outcome unknown to the owner), and has Kafka refuse a topic's records. Then it lets every
 * workflow finish and checks:
 *   - every workflow ended, exactly once, and the journal keeps the writer rules (journal/verify.ts R1–R4);
 *   - each step's result is journaled once (R4) and the DLQ saw no command of a healthy workflow;
 *   - replaying each workflow's journaled history through its body makes exactly the journaled calls and
 *     ends exactly as the journal says (live and replayed runs agree);
 *   - a refused emit failed its own call only.
 * Every seed runs on both write paths: single-produce ticks (a zombie's produces land and must be void by
 * the epoch rule) and transactions only. It prints its seeds (SIM_SEED=n reruns one).
 */
import { describe, expect, it } from 'vitest';
import { decodeRecord, EpochFilter, type JournalRecord, verifyJournal } from '../../src/journal/index.js';
import type { Intent } from '../../src/machine/index.js';
import { defaultRunLimits, WorkflowRun } from '../../src/replay/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SIM_TOPICS, SimCluster } from './simulation/sim-cluster.js';
import { SimKafka } from './simulation/sim-kafka.js';
import { hash, SIM_KINDS, simInput, simWorkflows } from './simulation/sim-workflows.js';

const PARTITIONS = 2;

/** mulberry32: the simulation's seeded choices. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Lets owners, bodies and their I/O run: event-loop turns and a few real milliseconds. */
async function settle(cluster: SimCluster): Promise<void> {
  for (let i = 0; i < 12; i++) {
    await cluster.restartFailed();
    cluster.feed();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 3));
}

/** The committed journal of one partition, with the epoch rule applied. */
function journal(kafka: SimKafka, p: number): JournalRecord[] {
  const filter = new EpochFilter();
  const out: JournalRecord[] = [];
  for (const [offset, m] of kafka.log(SIM_TOPICS.journal, p).entries()) {
    if (m.value === null) continue;
    const record = decodeRecord(m.value);
    if (filter.accept(record, offset)) out.push(record);
  }
  return out;
}

const TERMINAL = new Set(['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled']);

/** Replays `records` (one workflow's history) through its body; returns what the body reported. */
async function replay(
  definitions: ReturnType<typeof simWorkflows>,
  records: JournalRecord[],
): Promise<Intent[]> {
  const started = records[0];
  if (started?.body.kind !== 'WorkflowStarted') throw new Error('history without a start');
  const definition = definitions.find(
    (d) => d.name === (started.body.kind === 'WorkflowStarted' ? started.body.workflow : ''),
  );
  if (definition === undefined) throw new Error('unknown workflow');
  const intents: Intent[] = [];
  const run = new WorkflowRun(
    definition,
    started.workflowId,
    started.body.input,
    started.atMs,
    false,
    { intent: (i) => intents.push(i) },
    defaultRunLimits,
  );
  for (const r of records) run.addHistory(r);
  run.start();
  for (const r of records) {
    run.deliver(r);
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 3));
  return intents;
}

type WritePath = 'single-produce' | 'transactional';

async function simulate(seed: number, path: WritePath): Promise<void> {
  const random = prng(seed);
  const kafka = new SimKafka(PARTITIONS, (key) => hash(key) % PARTITIONS);
  kafka.createTopic('sim.outbox', 1);
  kafka.createTopic('sim.refuses', 1);
  kafka.refusing.add('sim.refuses');
  const clock = new VirtualClock(1_700_000_000_000);
  const definitions = simWorkflows(seed);
  const cluster = new SimCluster(kafka, clock, definitions, {
    singleProduceTicks: path === 'single-produce',
  });
  for (let p = 0; p < PARTITIONS; p++) await cluster.start(p, await cluster.newNode());
  const ids: { id: string; kind: (typeof SIM_KINDS)[number] }[] = [];
  const happened = { crashes: 0, faults: 0, signals: 0, cancels: 0 };
  const send = (id: string, command: object): void =>
    kafka.produce(SIM_TOPICS.commands, id, Buffer.from(JSON.stringify(command)));

  for (let step = 0; step < 150; step++) {
    const r = random();
    if (r < 0.3 && ids.length < 40) {
      const kind = SIM_KINDS[Math.floor(random() * SIM_KINDS.length)] ?? 'chain';
      const id = `${kind}-${ids.length}`;
      ids.push({ id, kind });
      send(id, { type: 'start', workflow: kind, id, input: simInput(kind, random()) });
    } else if (r < 0.4 && ids.length > 0) {
      const waiters = ids.filter((i) => i.kind === 'waiter');
      const pool = waiters.length > 0 && random() < 0.8 ? waiters : ids;
      const target = pool[Math.floor(random() * pool.length)];
      if (target !== undefined)
        send(target.id, { type: 'signal', id: target.id, name: 'go', payload: `hi-${step}` });
      happened.signals++;
    } else if (r < 0.43 && ids.length > 0) {
      const target = ids[Math.floor(random() * ids.length)];
      if (target !== undefined) send(target.id, { type: 'cancel', id: target.id, reason: `sim ${step}` });
      happened.cancels++;
    } else if (r < 0.48) {
      const p = Math.floor(random() * PARTITIONS);
      const sameNode = random() < 0.5; // a restarted process, else a zombie cut off on its own node
      const node = cluster.crash(p, sameNode);
      happened.crashes++;
      await settle(cluster);
      await cluster.start(p, sameNode && node !== undefined ? node : await cluster.newNode());
    } else if (r < 0.56) {
      const p = Math.floor(random() * PARTITIONS);
      kafka.faults.set(`sim.p${p}`, random() < 0.5 ? 'lost' : 'landed-then-failed');
      happened.faults++;
    } else {
      clock.advance(Math.floor(random() * 150));
    }
    await settle(cluster);
  }

  // Let everything finish: time moves on, nothing fails any more.
  kafka.faults.clear();
  const ended = (): number => {
    const all = Array.from({ length: PARTITIONS }, (_, p) => journal(kafka, p)).flat();
    const terminal = new Set(all.filter((r) => TERMINAL.has(r.body.kind)).map((r) => r.workflowId));
    return ids.filter(({ id }) => terminal.has(id)).length;
  };
  for (let round = 0; round < 400 && ended() < ids.length; round++) {
    clock.advance(250);
    await settle(cluster);
  }
  await cluster.stop();
  expect(cluster.failures).toEqual([]);
  const all = Array.from({ length: PARTITIONS }, (_, p) => journal(kafka, p)).flat();
  const unfinished = ids
    .filter(({ id }) => !all.some((r) => r.workflowId === id && TERMINAL.has(r.body.kind)))
    .map(
      ({ id }) =>
        `${id}: ${all
          .filter((r) => r.workflowId === id)
          .map(
            (r) =>
              `${r.body.kind}${'attempt' in r.body ? r.body.attempt : ''}@${r.atMs % 100_000}/e${r.writerEpoch ?? 0}`,
          )
          .join(',')}`,
    );
  if (unfinished.length > 0 && process.env.SIM_DEBUG !== undefined) {
    for (let p = 0; p < PARTITIONS; p++) {
      const commands = kafka
        .log(SIM_TOPICS.commands, p)
        .map((m, o) => `${o}:${m.value?.toString().slice(0, 60)}`);
      const positions = journal(kafka, p)
        .map((r, i) =>
          r.body.kind === 'CommandsConsumed'
            ? `${i}:next=${r.body.nextOffset}`
            : r.body.kind === 'OwnerClaimed'
              ? `${i}:CLAIM`
              : '',
        )
        .filter((x) => x !== '');
      process.stdout.write(
        `p${p} commands ${JSON.stringify(commands)}\np${p} positions ${positions.join(' ')}\n`,
      );
      const raw = kafka.log(SIM_TOPICS.journal, p).map((m, o) => {
        const r = m.value === null ? undefined : decodeRecord(m.value);
        return `${o}:${r?.body.kind}:${r?.workflowId}:e${r?.writerEpoch ?? 0}${r?.body.kind === 'CommandsConsumed' ? `:n${r.body.nextOffset}` : ''}`;
      });
      process.stdout.write(`p${p} raw ${raw.join(' ')}\n`);
    }
  }
  expect(unfinished).toEqual([]);

  const records = Array.from({ length: PARTITIONS }, (_, p) => journal(kafka, p)).flat();
  const voided = Array.from({ length: PARTITIONS }, (_, p) => kafka.log(SIM_TOPICS.journal, p).length).reduce(
    (sum, n) => sum + n,
    -records.length,
  );
  const kinds = new Map<string, number>();
  for (const r of records) kinds.set(r.body.kind, (kinds.get(r.body.kind) ?? 0) + 1);
  process.stdout.write(
    `simulation seed ${seed}: ${ids.length} workflows, ${records.length} records, ${JSON.stringify({ ...happened, restarted: cluster.restarted, voided })}, ${JSON.stringify(Object.fromEntries(kinds))}\n`,
  );
  expect(ids.length).toBeGreaterThan(10);
  expect(verifyJournal(records).problems).toEqual([]);
  for (const { id, kind } of ids) {
    const history = records.filter((r) => r.workflowId === id && r.seq > 0);
    expect(history.filter((r) => TERMINAL.has(r.body.kind))).toHaveLength(1);
    const intents = await replay(definitions, history);
    const ending = intents.filter(
      (i) => i.type === 'complete' || i.type === 'fail' || i.type === 'cancelled' || i.type === 'stuck',
    );
    const terminal = history.at(-1)?.body;
    if (terminal?.kind === 'WorkflowCompleted')
      expect(ending).toEqual([{ type: 'complete', result: terminal.result }]);
    if (terminal?.kind === 'WorkflowFailed') expect(ending.map((i) => i.type)).toEqual(['fail']);
    if (terminal?.kind === 'WorkflowCancelled') expect(ending.map((i) => i.type)).toEqual(['cancelled']);
    const journaled = new Set(history.map((r) => ('callSeq' in r.body ? r.body.callSeq : 0)));
    for (const i of intents) if ('callSeq' in i) expect(journaled.has(i.callSeq)).toBe(true); // no new calls
    if (kind === 'emitter' && terminal?.kind === 'WorkflowCompleted')
      expect(terminal.result).toBe('KafkaRejectedError');
  }
}

describe.each<WritePath>(['single-produce', 'transactional'])('seeded simulation (no broker), %s', (path) => {
  const seeds =
    process.env.SIM_SEED !== undefined ? [Number(process.env.SIM_SEED)] : [Date.now() % 100_000, 1, 2, 5]; // seed 5: a zombie's single produces land and are voided;
  it.each(seeds)(
    'seed %i: crashes, failed writes, refusals and takeovers leave every invariant whole',
    async (seed) => {
      process.stdout.write(`simulation seed: ${seed} on the ${path} path (rerun with SIM_SEED=${seed})\n`);
      await simulate(seed, path);
    },
    120_000,
  );
});
