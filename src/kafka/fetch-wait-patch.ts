/**
 * KafkaJS 2.2.4 reads a consumer's fetch wait (`maxWaitTimeInMs`) once, when the consumer is made. This
 * patch lets a FetchWait (fetch-wait.ts) choose it before every fetch, and end the fetch in flight when
 * the consumer stops.
 *
 * I1. A consumer opts in by passing its FetchWait as `maxWaitTimeInMs` (`fetchWaitOption`). KafkaJS keeps
 *     that value as the consumer group's `maxWaitTime` and reads it only inside `fetch`, where the patch
 *     takes the FetchWait out and puts a number in its place before KafkaJS's own `fetch` runs. Without
 *     the patch (another KafkaJS version) `fetchWaitOption` gives the active wait, a plain number.
 * I2. Before each fetch the wait is the FetchWait's choice for the group's generation; after it, the
 *     FetchWait learns how many records came and how many partitions are paused.
 * I3. A stopped consumer's fetch answers at once with no records (fetch-wait.ts I3), and the fetch requests
 *     it has in flight are timed out: KafkaJS closes a connection only once its requests in flight are
 *     answered, so a disconnect would otherwise wait for the broker to end a long wait. (KafkaJS sends a
 *     consumer's fetches on a connection of their own, so its LeaveGroup is not behind them.) The group's
 *     recovery from a failed fetch (`recoverFromFetch`: metadata refresh, rejoin) is skipped once the
 *     consumer stops, so an abandoned fetch never rejoins a group its consumer left.
 * I4. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 */
import { FetchWait } from './fetch-wait.js';
import { kafkajsModule } from './kafkajs-internals.js';

const WAIT = Symbol('logbook:fetchWait');

/** A fetched batch, as far as the patch reads it. */
interface BatchInternals {
  readonly messages: readonly unknown[];
}

/** A request in flight on a KafkaJS connection, as far as the patch touches it. */
interface RequestInternals {
  readonly entry: { readonly apiName: string };
  timeoutRequest(): void;
}

/** A KafkaJS broker, down to its connections' requests in flight. */
interface BrokerInternals {
  readonly connectionPool?: {
    readonly pool?: readonly {
      readonly requestQueue?: { readonly inflight?: Map<number, RequestInternals> };
    }[];
  };
}

/** The members of KafkaJS's ConsumerGroup the patch touches. */
interface ConsumerGroupInternals {
  readonly cluster: { findBroker(args: { nodeId: number }): Promise<BrokerInternals> };
  maxWaitTime: number | FetchWait;
  readonly generationId: number | null;
  [WAIT]?: FetchWait;
  paused(): readonly { readonly partitions: readonly number[] }[];
  fetch(this: ConsumerGroupInternals, nodeId: number): Promise<BatchInternals[]>;
  recoverFromFetch(this: ConsumerGroupInternals, error: unknown): Promise<void>;
}

let installed = false;

/** KafkaJS's `maxWaitTimeInMs` for a consumer whose waits `wait` chooses (I1). */
export function fetchWaitOption(wait: FetchWait): number {
  return installed ? (wait as unknown as number) : wait.limits.activeMs;
}

/** The group's FetchWait, taken out of `maxWaitTime` at its first fetch (I1). */
function waitOf(group: ConsumerGroupInternals): FetchWait | undefined {
  if (group.maxWaitTime instanceof FetchWait) {
    group[WAIT] = group.maxWaitTime;
    group.maxWaitTime = group.maxWaitTime.limits.activeMs;
  }
  return group[WAIT];
}

function countRecords(batches: readonly BatchInternals[]): number {
  let records = 0;
  for (const batch of batches) records += batch.messages.length;
  return records;
}

function countPaused(group: ConsumerGroupInternals): number {
  let paused = 0;
  for (const topic of group.paused()) paused += topic.partitions.length;
  return paused;
}

/** Times out the group's fetch requests in flight to broker `nodeId`, so its connection can close (I3). */
async function endFetchesInFlight(group: ConsumerGroupInternals, nodeId: number): Promise<void> {
  const broker = await group.cluster.findBroker({ nodeId });
  for (const connection of broker.connectionPool?.pool ?? [])
    for (const request of [...(connection.requestQueue?.inflight?.values() ?? [])])
      if (request.entry.apiName === 'Fetch') request.timeoutRequest();
}

/** Installs the patch on KafkaJS's ConsumerGroup (I4). */
export function patchFetchWait(): void {
  const proto = kafkajsModule<{ prototype: ConsumerGroupInternals }>('consumer/consumerGroup.js').prototype;
  const fetch = proto.fetch;
  const recoverFromFetch = proto.recoverFromFetch;
  proto.fetch = async function (this: ConsumerGroupInternals, nodeId: number): Promise<BatchInternals[]> {
    const wait = waitOf(this);
    if (wait === undefined) return fetch.call(this, nodeId);
    if (wait.stopped) return []; // I3
    this.maxWaitTime = wait.next(this.generationId, Date.now()); // I2
    const fetching = fetch.call(this, nodeId);
    fetching.catch(() => undefined); // an abandoned fetch's failure is nobody's (I3)
    const batches = await Promise.race([fetching, wait.whenStopped.then(() => undefined)]);
    if (batches === undefined) {
      await endFetchesInFlight(this, nodeId).catch(() => undefined); // I3
      return [];
    }
    wait.fetched(countRecords(batches), countPaused(this), Date.now());
    return batches;
  };
  proto.recoverFromFetch = async function (this: ConsumerGroupInternals, error: unknown): Promise<void> {
    if (waitOf(this)?.stopped === true) return; // I3
    return recoverFromFetch.call(this, error);
  };
  installed = true;
}
