/**
 * A cache for KafkaJS's coordinator lookups, applied once when the first client is made.
 *
 * KafkaJS 2.2.4 asks the cluster for the transaction coordinator (a FindCoordinator round trip) before
 * every AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and for the group coordinator before every
 * TxnOffsetCommit: a transaction was five round trips instead of three. Measured here with a JDK Flight
 * Recording of the broker, FindCoordinator was 4 % of the broker's CPU on the W1 benchmark.
 *
 * I1. A coordinator found for (type, group or transactional id) is reused for COORDINATOR_CACHE_MS, per
 *     cluster client; after that, or after a lookup failed, the next call asks the cluster again. A
 *     coordinator that moved within that time answers NOT_COORDINATOR, which the caller already retries
 *     (KafkaJS's retrier, the owner's failure handling), and the retry after the entry expired finds the
 *     new one.
 * I2. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 */
import { kafkajsModule } from './kafkajs-internals.js';

/** How long a coordinator lookup is reused (I1). */
export const COORDINATOR_CACHE_MS = 1_000;

interface Lookup {
  readonly groupId: string;
  readonly coordinatorType?: number;
}

/** The member of KafkaJS's Cluster the patch wraps. */
export interface ClusterInternals {
  findGroupCoordinatorMetadata(lookup: Lookup): Promise<unknown>;
}

const caches = new WeakMap<
  object,
  Map<string, { readonly atMs: number; readonly found: Promise<unknown> }>
>();

/** KafkaJS's Cluster class, as KafkaJS loads it. */
export function kafkajsCluster(): { prototype: ClusterInternals } {
  return kafkajsModule('cluster/index.js');
}

/** Applies the cache to KafkaJS's Cluster (I2: call it through patchKafkaJs). */
export function patchCoordinatorLookup(): void {
  const prototype = kafkajsCluster().prototype;
  const lookup = prototype.findGroupCoordinatorMetadata;
  prototype.findGroupCoordinatorMetadata = function (this: object, what: Lookup): Promise<unknown> {
    let cache = caches.get(this);
    if (cache === undefined) {
      cache = new Map();
      caches.set(this, cache);
    }
    const key = `${what.coordinatorType ?? 0}:${what.groupId}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit !== undefined && now - hit.atMs < COORDINATOR_CACHE_MS) return hit.found;
    const found = lookup.call(this, what);
    cache.set(key, { atMs: now, found });
    found.catch(() => {
      if (cache.get(key)?.found === found) cache.delete(key); // I1: a failed lookup is not reused
    });
    if (cache.size > 10_000)
      for (const [k, v] of cache) if (now - v.atMs >= COORDINATOR_CACHE_MS) cache.delete(k);
    return found;
  };
}
