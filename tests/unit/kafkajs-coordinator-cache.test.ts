/**
 * The coordinator-lookup cache (src/kafka/coordinator-cache-patch.ts): a second lookup of the same
 * coordinator within COORDINATOR_CACHE_MS asks the cluster nothing, another id or type asks, a stale entry
 * is served while a refresh is asked for (but not past COORDINATOR_STALE_MAX_MS), a failed lookup or
 * refresh is not reused, and a request that fails the way requests to a moved coordinator fail forgets
 * every cached coordinator. The lookup runs KafkaJS's own Cluster code against a stand-in broker pool; the
 * failing request runs KafkaJS's own Connection.send on a stand-in connection.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  COORDINATOR_CACHE_MS,
  COORDINATOR_STALE_MAX_MS,
  kafkajsCluster,
} from '../../src/kafka/coordinator-cache-patch.js';
import {
  type ConnectionInternals,
  type KafkaRequest,
  kafkajsConnection,
} from '../../src/kafka/kafkajs-internals.js';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';

/** A stand-in for a KafkaJS Cluster: its broker answers FindCoordinator, failing when told to. */
function fakeCluster() {
  const asked: string[] = [];
  let fail = false;
  let nodeId = 1;
  const broker = {
    findGroupCoordinator: async ({ groupId }: { groupId: string }) => {
      asked.push(groupId);
      if (fail) throw Object.assign(new Error('boom'), { type: 'UNKNOWN' });
      return { host: 'h', coordinator: { nodeId } };
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
    moveTo: (id: number) => {
      nodeId = id;
    },
    lookup: (groupId: string, coordinatorType = 1) =>
      kafkajsCluster().prototype.findGroupCoordinatorMetadata.call(cluster, { groupId, coordinatorType }),
  };
}

/** A request through KafkaJS's (patched) Connection.send on a connection that fails it with `error`. */
async function failRequest(error: object): Promise<void> {
  const connection = {
    clientId: 'test',
    isAuthenticated: () => {
      throw error; // the first thing send() asks: the request fails as if the broker had answered so
    },
  };
  const request: KafkaRequest = { request: { apiName: 'Produce' } };
  const stranded = connection as unknown as ConnectionInternals; // only what send() reads before it fails
  await expect(kafkajsConnection().prototype.send.call(stranded, request)).rejects.toBe(error);
}

/** Runs `test` with a fake `Date` (the cache's clock) and KafkaJS patched; real timers again after. */
async function withFakeDate(test: () => Promise<void>): Promise<void> {
  patchKafkaJs();
  vi.useFakeTimers({ toFake: ['Date'] });
  try {
    await test();
  } finally {
    vi.useRealTimers();
  }
}

describe('KafkaJS coordinator lookups, cached', () => {
  it('is patched for the installed KafkaJS version', () => {
    expect(patchKafkaJs()).toBe(true);
  });

  it('asks once per id and type within the cache time, and again after it', () =>
    withFakeDate(async () => {
      const c = fakeCluster();
      await c.lookup('txn-a');
      await c.lookup('txn-a');
      await c.lookup('txn-b');
      await c.lookup('txn-a', 0); // a group coordinator of the same name: another entry
      expect(c.asked).toEqual(['txn-a', 'txn-b', 'txn-a']);
      vi.setSystemTime(Date.now() + COORDINATOR_CACHE_MS + 1);
      await c.lookup('txn-a');
      expect(c.asked).toEqual(['txn-a', 'txn-b', 'txn-a', 'txn-a']);
    }));

  it('serves a stale coordinator at once while it asks again, then serves the new answer', () =>
    withFakeDate(async () => {
      const c = fakeCluster();
      expect(await c.lookup('txn-s')).toMatchObject({ coordinator: { nodeId: 1 } });
      c.moveTo(2);
      vi.setSystemTime(Date.now() + COORDINATOR_CACHE_MS + 1);
      expect(await c.lookup('txn-s')).toMatchObject({ coordinator: { nodeId: 1 } }); // stale, not waited for
      expect(c.asked).toEqual(['txn-s', 'txn-s']); // the refresh was asked
      await c.lookup('txn-s'); // one refresh at a time
      expect(c.asked).toEqual(['txn-s', 'txn-s']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await c.lookup('txn-s')).toMatchObject({ coordinator: { nodeId: 2 } });
      expect(c.asked).toEqual(['txn-s', 'txn-s']);
    }));

  it('waits for a new lookup past the stale limit, and after a failed refresh', () =>
    withFakeDate(async () => {
      const c = fakeCluster();
      await c.lookup('txn-old');
      c.moveTo(3);
      vi.setSystemTime(Date.now() + COORDINATOR_STALE_MAX_MS + 1);
      expect(await c.lookup('txn-old')).toMatchObject({ coordinator: { nodeId: 3 } });

      c.failNext(true);
      vi.setSystemTime(Date.now() + COORDINATOR_CACHE_MS + 1);
      await c.lookup('txn-old'); // stale, served; its refresh fails
      await new Promise((resolve) => setImmediate(resolve));
      await expect(c.lookup('txn-old')).rejects.toThrow('boom'); // not served again: asked, and failed
      c.failNext(false);
      c.moveTo(4);
      expect(await c.lookup('txn-old')).toMatchObject({ coordinator: { nodeId: 4 } });
    }));

  it('does not reuse a failed lookup', async () => {
    patchKafkaJs();
    const c = fakeCluster();
    c.failNext(true);
    await expect(c.lookup('txn-x')).rejects.toThrow();
    c.failNext(false);
    await c.lookup('txn-x');
    expect(c.asked).toEqual(['txn-x', 'txn-x']);
  });

  it('forgets every cached coordinator when a request fails as one to a moved coordinator does', async () => {
    patchKafkaJs();
    const c = fakeCluster();
    await c.lookup('txn-m');
    await c.lookup('group-m', 0);
    await failRequest(Object.assign(new Error('not the leader'), { type: 'NOT_LEADER_OR_FOLLOWER' }));
    await c.lookup('txn-m'); // another error: still cached
    expect(c.asked).toEqual(['txn-m', 'group-m']);

    c.moveTo(5);
    await failRequest(Object.assign(new Error('moved'), { type: 'NOT_COORDINATOR_FOR_GROUP' }));
    expect(await c.lookup('txn-m')).toMatchObject({ coordinator: { nodeId: 5 } });
    expect(await c.lookup('group-m', 0)).toMatchObject({ coordinator: { nodeId: 5 } });
    expect(c.asked).toEqual(['txn-m', 'group-m', 'txn-m', 'group-m']);

    for (const error of [
      Object.assign(new Error('gone'), { type: 'GROUP_COORDINATOR_NOT_AVAILABLE' }),
      Object.assign(new Error('refused'), { name: 'KafkaJSConnectionError' }),
      Object.assign(new Error('closed'), { name: 'KafkaJSConnectionClosedError' }),
    ]) {
      await failRequest(error);
      await c.lookup('txn-m');
    }
    expect(c.asked.filter((id) => id === 'txn-m')).toHaveLength(5);
  });
});
