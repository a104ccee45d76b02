/**
 * The coordinator-lookup cache (src/kafka/coordinator-cache-patch.ts): a second lookup of the same
 * coordinator within COORDINATOR_CACHE_MS asks the cluster nothing, another id or type asks, and a failed
 * lookup is not reused. The lookup runs KafkaJS's own Cluster code against a stand-in broker pool.
 */
import { describe, expect, it, vi } from 'vitest';
import { COORDINATOR_CACHE_MS, kafkajsCluster } from '../../src/kafka/coordinator-cache-patch.js';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';

/** A stand-in for a KafkaJS Cluster: its broker answers FindCoordinator, failing when told to. */
function fakeCluster() {
  const asked: string[] = [];
  let fail = false;
  const broker = {
    findGroupCoordinator: async ({ groupId }: { groupId: string }) => {
      asked.push(groupId);
      if (fail) throw Object.assign(new Error('boom'), { type: 'UNKNOWN' });
      return { host: 'h', coordinator: { nodeId: 1 } };
    },
  };
  const cluster = {
    logger: { debug: () => undefined },
    brokerPool: { withBroker: async (fn: (b: unknown) => Promise<unknown>) => fn({ nodeId: 1, broker }) },
    retrier: (fn: (bail: (e: unknown) => never, n: number, t: number) => Promise<unknown>) =>
      fn(
        (e) => {
          throw e;
        },
        0,
        0,
      ),
  };
  return {
    asked,
    failNext: (value: boolean) => {
      fail = value;
    },
    lookup: (groupId: string, coordinatorType = 1) =>
      kafkajsCluster().prototype.findGroupCoordinatorMetadata.call(cluster, { groupId, coordinatorType }),
  };
}

describe('KafkaJS coordinator lookups, cached', () => {
  it('is patched for the installed KafkaJS version', () => {
    expect(patchKafkaJs()).toBe(true);
  });

  it('asks once per id and type within the cache time, and again after it', async () => {
    patchKafkaJs();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const c = fakeCluster();
      await c.lookup('txn-a');
      await c.lookup('txn-a');
      await c.lookup('txn-b');
      await c.lookup('txn-a', 0); // a group coordinator of the same name: another entry
      expect(c.asked).toEqual(['txn-a', 'txn-b', 'txn-a']);
      vi.setSystemTime(Date.now() + COORDINATOR_CACHE_MS + 1);
      await c.lookup('txn-a');
      expect(c.asked).toEqual(['txn-a', 'txn-b', 'txn-a', 'txn-a']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not reuse a failed lookup', async () => {
    patchKafkaJs();
    const c = fakeCluster();
    c.failNext(true);
    await expect(c.lookup('txn-x')).rejects.toThrow();
    c.failNext(false);
    await c.lookup('txn-x');
    expect(c.asked).toEqual(['txn-x', 'txn-x']);
  });
});
