/**
 * Proves the journal tools apply the epoch rule (records.ts I4) as they stream: a record that a fenced
 * owner wrote after a newer OwnerClaimed (its writerEpoch older than the claim's) is void, so `journal
 * export` leaves it out and `journal replay` and `journal verify` never see it. The journal is written raw
 * to the real broker, as a fenced owner's single produce would land.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type RecordBody,
  topicNames,
} from '../../src/journal/index.js';
import { createKafka } from '../../src/kafka/index.js';
import { runCli } from '../support/cli.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';

const ns = uniqueNamespace('journal-epoch');
const topic = topicNames(ns).journal;
const kafka = createKafka({ brokers: testBrokers(), clientId: 'test-journal-epoch' });

const record = (workflowId: string, seq: number, writerEpoch: number, body: RecordBody): JournalRecord => ({
  schemaVersion: JOURNAL_SCHEMA_VERSION,
  workflowId,
  seq,
  atMs: 1_800_000_000_000 + seq,
  writerEpoch,
  body,
});
/** A claim carries no writerEpoch (epoch.ts I1), as the codec decodes it. */
const claim = (n: number): JournalRecord => ({
  schemaVersion: JOURNAL_SCHEMA_VERSION,
  workflowId: '',
  seq: 0,
  atMs: 1_800_000_000_000,
  body: { kind: 'OwnerClaimed', partition: 0, claimId: `c${n}`, executorId: `e${n}` },
});
const started: RecordBody = {
  kind: 'WorkflowStarted',
  workflow: 'w',
  input: null,
  idempotencyKey: null,
  parent: null,
  trace: null,
};
const step = (attempt: number): RecordBody => ({
  kind: 'StepStarted',
  callSeq: 1,
  name: 'one',
  attempt,
  parentSeq: 0,
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('the journal tools and the epoch rule', () => {
  it('leave out a record a fenced owner wrote after a newer claim', async () => {
    // offset 0: claim (epoch 1); 1: started; 2: claim (epoch 3); 3: a fenced owner's record (epoch 1,
    // void); 4: the new owner's record with the same seq (epoch 3).
    const journal = [
      claim(1),
      record('w-1', 1, 1, started),
      claim(2),
      record('w-1', 2, 1, step(1)),
      record('w-1', 2, 3, step(2)),
    ];
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: journal.map((r) => ({ partition: 0, key: r.workflowId || null, value: encodeRecord(r) })),
    });
    await producer.disconnect();

    const exported = await runCli(testBrokers(), ns, ['journal', 'export']);
    expect(exported.code).toBe(0);
    const lines = exported.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as JournalRecord);
    expect(lines).toEqual([journal[0], journal[1], journal[2], journal[4]]);

    const verify = await runCli(testBrokers(), ns, ['journal', 'verify']);
    expect(verify.code).toBe(0); // the void record would otherwise repeat seq 2 (R1)
    expect(JSON.parse(verify.out)).toMatchObject({ records: 4, problems: [], byStatus: { running: 1 } });

    const replay = await runCli(testBrokers(), ns, ['journal', 'replay', 'w-1', '--json']);
    expect((JSON.parse(replay.out.trim().split('\n')[1] ?? '{}') as JournalRecord).writerEpoch).toBe(3);
  });
});
