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
 *     background; the answer replaces the entry (stale while revalidating). An entry older than
 *     COORDINATOR_STALE_MAX_MS, or whose lookup or refresh failed, is not served: the call waits for a
 *     new lookup.
 * I2. A coordinator moves only when its broker fails or hands over its partition of
 *     `__transaction_state` / `__consumer_offsets`, and every request to a moved one fails: with
 *     NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE from a broker that is no longer it, or on the
 *     connection to one that is gone. Any such failure of any request forgets every cached coordinator
 *     of the process, so the caller's retry (KafkaJS's retrier, the owner's failure handling) asks anew.
 *     That is why the cache time can be long: with a 1 s cache each of an executor's twelve
 *     transactional ids was looked up every second, and the lookup queued on the connection ahead of the
 *     transaction's own request (11 % of sequential W1 workflows waited one, +1.5 ms).
 * I3. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 */
import { isMovedCoordinatorError } from './kafka-errors.js';
import { type ConnectionInternals, kafkajsConnection, kafkajsModule } from './kafkajs-internals.js';

/** How long a coordinator lookup is reused without asking again (I1, I2). */
export const COORDINATOR_CACHE_MS = 60_000;
/** How long a coordinator lookup may be served while a newer one is asked for in the background (I1). */
export const COORDINATOR_STALE_MAX_MS = 600_000;
interface Entry {
  atMs: number;
  /** The value of `generation` when it was asked for; an older one is not served (I2). */
  generation: number;
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
/** Bumped by every request that failed as a moved coordinator makes requests fail (I2). */
let generation = 0;

/** Forgets every cached coordinator of the process (I2). */
export function forgetCoordinators(): void {
  generation++;
}

/** KafkaJS's Cluster class, as KafkaJS loads it. */
export function kafkajsCluster(): { prototype: ClusterInternals } {
  return kafkajsModule('cluster/index.js');
}

/** Applies the cache to KafkaJS's Cluster and Connection (I3: call it through patchKafkaJs). */
export function patchCoordinatorLookup(): void {
  const connection = kafkajsConnection().prototype;
  const send = connection.send;
  connection.send = function (this: ConnectionInternals, request): Promise<unknown> {
    return send.call(this, request).catch((error: unknown) => {
      if (isMovedCoordinatorError(error)) forgetCoordinators(); // I2
      throw error;
    });
  };
  const prototype = kafkajsCluster().prototype;
  const lookup = prototype.findGroupCoordinatorMetadata;
  prototype.findGroupCoordinatorMetadata = function (this: object, what: Lookup): Promise<unknown> {
    const entries = cacheOf(this);
    const key = `${what.coordinatorType ?? 0}:${what.groupId}`;
    const now = Date.now();
    const current = entries.get(key);
    const hit = current?.generation === generation ? current : undefined; // I2
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
  const entry: Entry = { atMs: Date.now(), generation, found, ok: false, refreshing: false };
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
