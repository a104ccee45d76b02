/**
 * Helpers every integration test uses: the broker list from global setup, and a namespace (topic prefix
 * and group-id prefix) of its own so tests never see each other's records.
 */
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { inject } from 'vitest';
import { parseBrokers } from '../../src/kafka/index.js';
import { waitFor } from './wait-for.js';

/** The brokers of this test run (LOGBOOK_BROKERS or the broker global setup started). */
export function testBrokers(): string[] {
  return parseBrokers(inject('brokers'));
}

/** A fresh namespace such as `t-txn-3f9a1c`, unique per call. */
export function uniqueNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

/** The end (read_committed) of partition `p` of `topic`. */
export async function partitionEnd(admin: Admin, topic: string, p = 0): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Number(offsets.find((o) => o.partition === p)?.high ?? -1);
}

/**
 * Waits until the marker of the transaction whose record is at `offset` (partition 0) is in: an owner
 * appends only then, since the broker refuses the producer's single produces while it is open.
 */
export async function markerAfter(admin: Admin, topic: string, offset: number): Promise<void> {
  await waitFor(async () => (await partitionEnd(admin, topic)) > offset + 1, {
    timeoutMs: 10_000,
    message: `no transaction marker after offset ${offset} of ${topic}`,
  });
}
