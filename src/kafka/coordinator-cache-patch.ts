/**
 * A cache for KafkaJS's coordinator lookups, applied once when the first client is made.
 *
 * KafkaJS 2.2.4 asks the cluster for the transaction coordinator (a FindCoordinator round trip) before
 * every AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and for the group coordinator before every
 * TxnOffsetCommit: a transaction was five round trips instead of three. Measured here with a JDK Flight
 * Recording of the broker, FindCoordinator was 4 % of the broker's CPU on the W1 benchmark.
 *
 * I1. A coordinator found for (type, group or transactional id) is reused for COORDINATOR_CACHE_MS, per
 *     cluster client. After that the next call still gets it at once, and asks the cluster again in the
 *     background; the answer replaces the entry (stale while revalidating: the tick that comes a second
 *     after the last one does not wait a FindCoordinator round trip, which it did for ~5 % of sequential
 *     workflows). An entry older than COORDINATOR_STALE_MAX_MS, or whose lookup or refresh failed, is not
 *     served: the call waits for a new lookup. A coordinator that moved answers NOT_COORDINATOR, which the
 *     caller already retries (KafkaJS's retrier, the owner's failure handling), and the retry after the
 *     refresh finds the new one.
 * I2. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 */
import { kafkajsModule } from './kafkajs-internals.js';

/** How long a coordinator lookup is reused without asking again (I1). */
export const COORDINATOR_CACHE_MS = 1_000;
/** How long a coordinator lookup may be served while a newer one is asked for in the background (I1). */
export const COORDINATOR_STALE_MAX_MS = 30_000;

interface Entry {
  atMs: number;
  found: Promise<unknown>;
  /** True once `found` resolved. */
  ok: boolean;
  refreshing: boolean;
}

interface Lookup {
  readonly groupId: string;
  readonly coordinatorType?: number;
}

/** The member of KafkaJS's Cluster the patch wraps. */
export interface ClusterInternals {
  findGroupCoordinatorMetadata(lookup: Lookup): Promise<unknown>;
}

const caches = new WeakMap<object, Map<string, Entry>>();

/** KafkaJS's Cluster class, as KafkaJS loads it. */
export function kafkajsCluster(): { prototype: ClusterInternals } {
  return kafkajsModule('cluster/index.js');
}

/** Applies the cache to KafkaJS's Cluster (I2: call it through patchKafkaJs). */
export function patchCoordinatorLookup(): void {
  const prototype = kafkajsCluster().prototype;
  const lookup = prototype.findGroupCoordinatorMetadata;
  prototype.findGroupCoordinatorMetadata = function (this: object, what: Lookup): Promise<unknown> {
    const entries = cacheOf(this);
    const key = `${what.coordinatorType ?? 0}:${what.groupId}`;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit !== undefined && now - hit.atMs < COORDINATOR_CACHE_MS) return hit.found;
    if (hit?.ok === true && now - hit.atMs < COORDINATOR_STALE_MAX_MS) {
      if (!hit.refreshing) {
        hit.refreshing = true;
        ask(entries, key, lookup.call(this, what), hit);
      }
      return hit.found;
    }
    const entry = ask(entries, key, lookup.call(this, what), undefined);
    if (entries.size > 10_000)
      for (const [k, v] of entries) if (now - v.atMs >= COORDINATOR_STALE_MAX_MS) entries.delete(k);
    return entry.found;
  };
}

/** The lookups cached for one KafkaJS cluster client. */
function cacheOf(cluster: object): Map<string, Entry> {
  const found = caches.get(cluster);
  if (found !== undefined) return found;
  const made = new Map<string, Entry>();
  caches.set(cluster, made);
  return made;
}

/**
 * A lookup's entry under `key`: in place at once when it replaces nothing, else in place of `replacing`
 * once it resolved (a refresh; the stale entry is served meanwhile). A failed lookup takes out the entry
 * it was for, so it is never served (I1).
 */
function ask(
  entries: Map<string, Entry>,
  key: string,
  found: Promise<unknown>,
  replacing: Entry | undefined,
): Entry {
  const entry: Entry = { atMs: Date.now(), found, ok: false, refreshing: false };
  if (replacing === undefined) entries.set(key, entry);
  found.then(
    () => {
      entry.ok = true;
      if (replacing !== undefined && entries.get(key) === replacing) entries.set(key, entry);
    },
    () => {
      if (entries.get(key) === (replacing ?? entry)) entries.delete(key);
    },
  );
  return entry;
}
