/**
 * Helpers every integration test uses: the broker list from global setup, and a namespace (topic prefix
 * and group-id prefix) of its own so tests never see each other's records.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { parseBrokers } from '../../src/kafka/index.js';

/** The brokers of this test run (LOGBOOK_BROKERS or the broker global setup started). */
export function testBrokers(): string[] {
  return parseBrokers(inject('brokers'));
}

/** A fresh namespace such as `t-txn-3f9a1c`, unique per call. */
export function uniqueNamespace(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}
