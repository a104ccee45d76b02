/**
 * Safety under takeover, on both write paths: an old owner whose partition a newer owner claimed cannot get
 * a record into the journal — its transactions are fenced by transactional id (DESIGN §5), and so are its
 * single produces, by the broker, from the claim on (D34) — and an executor the group still assigns the partition takes it
 * back after the race and finishes the work exactly once; and a workflow whose code changed its step order
 * between runs is parked as `stuck` with the first diverging call when it next wakes, visible in status,
 * never dropped (DESIGN §4).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import {
  decodeRecord,
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
} from '../../src/journal/index.js';
import { createKafka, readPartitions, TickWriter } from '../../src/kafka/index.js';
import { Engine, recordsOf, tempDir } from '../support/engine.js';
import { gate } from '../support/gate.js';
import { uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

let engine: Engine;
afterEach(async () => engine.closeAll());

/** Every record of partition 0 of the journal, void ones included, with its offset. */
async function rawJournal(brokers: readonly string[], ns: string): Promise<JournalRecord[]> {
  const kafka = createKafka({ brokers, clientId: 'test-raw-journal' });
  const topic = `${ns}.journal`;
  const admin = kafka.admin();
  await admin.connect();
  const high = Number((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? 0);
  await admin.disconnect();
  const out: JournalRecord[] = [];
  await readPartitions(kafka, {
    topic,
    from: new Map([[0, 0]]),
    ends: new Map([[0, high]]),
    groupPrefix: `${ns}.raw`,
    stallMs: 20_000,
    onBatch: (_p, messages) => {
      for (const m of messages) if (m.value !== null) out.push(decodeRecord(m.value));
    },
  });
  return out;
}

describe.each([
  ['single-produce', true],
  ['transactional', false],
])('fencing, %s ticks', (_path, singleProduceTicks) => {
  it('an old owner whose partition was claimed by a newer one gets no valid record into the journal', async () => {
    engine = new Engine(uniqueNamespace('fence'));
    const held = gate();
    let stepStarted = false;
    const gated = workflow('gated', async (ctx) => {
      await ctx.step('first', () => 'ok');
      const late = await ctx.step('blocked', async () => {
        stepStarted = true;
        await held.promise;
        return 'late';
      });
      return ctx.step('after', () => late);
    });
    const logs: string[] = [];
    const old = await engine.executor({
      workflows: [gated],
      limits: { singleProduceTicks, confirmIntervalMs: 60_000 }, // no confirming transaction by the clock
      logger: { log: (_level, message) => void logs.push(message) },
    });
    const client = engine.client();
    await client.start(gated, { id: 'g-1', input: null });
    await waitFor(() => stepStarted, { timeoutMs: 20_000, message: 'the gated step never started' });

    // A new owner takes the partition as claimPartition does: its InitProducerIds on `<ns>.p0`, `.b` and
    // `.s` fence the old owner's transactions, and its claim, a transaction of `.s`, makes the broker
    // reject the old owner's single produces from then on (D34).
    const kafka = createKafka({ brokers: engine.brokers, clientId: 'test-new-owner' });
    const newOwner = await TickWriter.connect(kafka, `${engine.namespace}.p0`);
    try {
      const claim: JournalRecord = {
        schemaVersion: JOURNAL_SCHEMA_VERSION,
        workflowId: '',
        seq: 0,
        atMs: Date.now(),
        body: { kind: 'OwnerClaimed', partition: 0, claimId: 'test-new-owner', executorId: 'test' },
      };
      const topic = `${engine.namespace}.journal`;
      await newOwner.claim([{ topic, partition: 0, key: null, value: encodeRecord(claim) }]);
      held.open();
      await waitFor(() => logs.includes('partition fenced by a newer owner'), { timeoutMs: 20_000 });
      const zombieEpoch = recordsOf(await engine.journal(), 'g-1')[0]?.writerEpoch;
      expect(zombieEpoch).toBeGreaterThan(0);
      // The group still assigns p0 to the old executor, so after a backoff it takes p0 back (claiming in
      // turn) and finishes the workflow: the blocked step's result counts once, under a newer epoch.
      expect(await client.handle('g-1').result({ timeout: '30s' })).toBe('late');
      const records = recordsOf(await engine.journal(), 'g-1');
      const byZombie = records.filter((r) => r.writerEpoch === zombieEpoch);
      // The zombie had the first step and the start of the blocked one; nothing valid after the claim.
      expect(byZombie.map((r) => r.body.kind)).toEqual([
        'WorkflowStarted',
        'StepStarted',
        'StepCompleted',
        'StepStarted',
      ]);
      const blocked = records.filter((r) => r.body.kind === 'StepCompleted' && r.body.name === 'blocked');
      expect(blocked).toHaveLength(1);
      expect(blocked[0]?.writerEpoch).toBeGreaterThan(zombieEpoch ?? 0);
      const raw = (await rawJournal(engine.brokers, engine.namespace)).filter(
        (r) => r.workflowId === 'g-1' && r.writerEpoch === zombieEpoch && r.body.kind === 'StepCompleted',
      );
      // Neither the zombie's single produce of the blocked step's result nor its transaction landed: the
      // only StepCompleted of its epoch is the first step's.
      expect(raw.length).toBe(1);
      expect(old.ownerOf(0)?.currentPhase).toBe('running');
    } finally {
      await newOwner.close();
    }
  });
});

describe('non-determinism', () => {
  const v1 = workflow('flow', async (ctx) => {
    await ctx.step('reserve', () => 'reserved');
    await ctx.signal('go');
    return ctx.step('ship', () => 'shipped');
  });
  const v2 = workflow('flow', async (ctx) => {
    await ctx.step('charge', () => 'charged'); // the step order changed between deployments
    await ctx.step('reserve', () => 'reserved');
    await ctx.signal('go');
    return 'done';
  });

  it("changing a workflow's step order between runs parks it as stuck, visible in status", async () => {
    engine = new Engine(uniqueNamespace('nondet'));
    const dir = tempDir('nd');
    const first = await engine.executor({ workflows: [v1], stateDir: dir });
    const client = engine.client();
    await client.start(v1, { id: 'f-1', input: null });
    await waitFor(
      async () => recordsOf(await engine.journal(), 'f-1').some((r) => r.body.kind === 'SignalAwaited'),
      {
        timeoutMs: 20_000,
      },
    );
    await first.stop();

    await engine.executor({ workflows: [v2], stateDir: dir });
    // A waiting workflow is replayed when its event comes (it is not held in memory meanwhile).
    await client.signal('f-1', 'go');
    const status = await waitFor(
      async () => {
        const s = await client.describe('f-1');
        return s.status === 'stuck' ? s : undefined;
      },
      { timeoutMs: 20_000, message: 'the workflow never became stuck' },
    );
    expect(status.error?.name).toBe('NonDeterminismError');
    expect(status.error?.details).toMatchObject({
      callSeq: 1,
      expected: 'step "reserve"',
      actual: 'step "charge"',
    });
    const records = recordsOf(await engine.journal(), 'f-1');
    expect(records.at(-1)?.body.kind).toBe('WorkflowStuck');
    expect(records.some((r) => r.body.kind === 'StepCompleted' && r.body.name === 'charge')).toBe(false);

    // `logbook status` shows it too, as a user would see it.
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'status',
        'f-1',
        '--brokers',
        engine.brokers.join(','),
        '--namespace',
        engine.namespace,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const [code] = (await once(cli, 'exit')) as [number | null];
    expect(code).toBe(0);
    const printed = JSON.parse(out) as { status: string; error: { details: { callSeq: number } } };
    expect(printed.status).toBe('stuck');
    expect(printed.error.details.callSeq).toBe(1);
  });
});
