/**
 * Proves what an owner does when Kafka refuses a record that came from neither an emit nor a command
 * (owner-failure.ts "rejected", quarantine.ts "a workflow → parked as stuck with the reason (once)"): the
 * workflow that wrote it is parked as stuck, the other workflows of the partition complete, and the owner
 * does not retry the refused tick without end. Runs a real PartitionOwner on SimKafka and virtual time; the
 * writer refuses any transaction holding a StepCompleted of workflow "poison", as a broker refuses a record
 * over the journal topic's max.message.bytes. The owner resets its writer after each refusal, as a refused
 * request may leave a producer's sequence numbers wrong (tick-writer.ts I5).
 */
import { describe, expect, it } from 'vitest';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import { decodeRecord, type JournalRecord } from '../../src/journal/index.js';
import {
  type BaseOffsets,
  type JournalWriter,
  type OutMessage,
  PartitionOwner,
  type WriteFailure,
} from '../../src/partition/index.js';
import { workflow } from '../../src/workflow/index.js';
import { VirtualClock } from './simulation/sim-clock.js';
import { SimKafka, SimWriteError } from './simulation/sim-kafka.js';
import { SIM_TOPICS, simOwnerDeps } from './simulation/sim-owner.js';

const P = 0;

/** A writer that refuses every transaction holding a journal record `refuse` names. */
class RefusingWriter implements JournalWriter {
  refused = 0;
  resets = 0;

  constructor(
    private readonly inner: JournalWriter,
    private readonly refuse: (record: JournalRecord) => boolean,
  ) {}

  async write(messages: readonly OutMessage[]): Promise<BaseOffsets> {
    for (const m of messages) {
      if (m.topic !== SIM_TOPICS.journal || !Buffer.isBuffer(m.value)) continue;
      if (this.refuse(decodeRecord(m.value))) {
        this.refused++;
        throw new SimWriteError('rejected', 'MESSAGE_TOO_LARGE on the journal', 'MESSAGE_TOO_LARGE');
      }
    }
    return this.inner.write(messages);
  }

  classify(error: unknown): WriteFailure {
    return this.inner.classify(error);
  }

  reset(): Promise<void> {
    this.resets++;
    return this.inner.reset();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const one = workflow('one', async (ctx) => ctx.step('only', () => 'done'));

describe('a record Kafka refuses that is neither an emit nor a command', () => {
  it('parks the workflow that wrote it as stuck, and the others complete', async () => {
    const kafka = new SimKafka(1, () => P);
    for (const topic of Object.values(SIM_TOPICS)) kafka.createTopic(topic, 1);
    const cache = new NodeCache(new MemoryKvStore());
    await cache.open();
    let writer!: RefusingWriter;
    const failures: string[] = [];
    const owner = new PartitionOwner(
      simOwnerDeps(kafka, {
        partition: P,
        cache: cache.partition(P),
        workflows: [one],
        clock: new VirtualClock(1_700_000_000_000),
        writer: (inner) => {
          writer = new RefusingWriter(
            inner,
            (r) => r.workflowId === 'poison' && r.body.kind === 'StepCompleted',
          );
          return writer;
        },
      }),
      (_owner, error) => failures.push(String(error)),
    );
    await owner.start();
    const ids = ['fine-0', 'poison', 'fine-1', 'fine-2'];
    for (const id of ids)
      kafka.produce(
        SIM_TOPICS.commands,
        id,
        Buffer.from(JSON.stringify({ type: 'start', workflow: 'one', id, input: {} })),
      );
    owner.offer(
      kafka.log(SIM_TOPICS.commands, P).map((m, i) => ({
        offset: String(i),
        key: m.key === null ? null : Buffer.from(m.key),
        value: m.value,
      })),
    );
    const journal = (): JournalRecord[] =>
      kafka.log(SIM_TOPICS.journal, P).flatMap((m) => (m.value === null ? [] : [decodeRecord(m.value)]));
    const ended = (kind: string): string[] =>
      journal()
        .filter((r) => r.body.kind === kind)
        .map((r) => r.workflowId);
    const done = (): boolean => ended('WorkflowStuck').length > 0 && ended('WorkflowCompleted').length === 3;
    for (let i = 0; i < 2_000 && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
    await owner.stop();
    expect(failures).toEqual([]);
    const refused = `ticks refused so far: ${writer.refused}`;
    expect(ended('WorkflowCompleted').sort(), refused).toEqual(['fine-0', 'fine-1', 'fine-2']);
    expect(ended('WorkflowStuck'), refused).toEqual(['poison']);
    expect(writer.refused).toBeLessThanOrEqual(3); // found at once, not retried without end
    expect(writer.resets).toBe(writer.refused); // each refusal spoils the writer (tick-writer.ts I5)
  });
});
