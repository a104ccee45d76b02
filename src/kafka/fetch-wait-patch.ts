/**
 * KafkaJS 2.2.4 reads a consumer's fetch wait (`maxWaitTimeInMs`) once, when the consumer is made. This
 * patch lets a FetchWait (fetch-wait.ts) choose it before every fetch, and end the fetch in flight when
 * the consumer stops.
 *
 * I1. A consumer opts in by passing its FetchWait as `maxWaitTimeInMs` (`fetchWaitOption`). KafkaJS keeps
 *     that value as the consumer group's `maxWaitTime` and reads it only inside `fetch`, where the patch
 *     takes the FetchWait out and puts a number in its place before KafkaJS's own `fetch` runs. Without
 *     the patch (another KafkaJS version) `fetchWaitOption` gives the active wait, a plain number.
 * I2. Before each fetch the wait is the FetchWait's choice for the group's generation and paused
 *     partitions; after it, the FetchWait learns how many records came.
 * I3. The fetch in flight when the consumer stops answers at once with no records (fetch-wait.ts I3). Its
 *     wait drops to 0 (a request not sent yet asks without waiting) and its Fetch requests in flight are
 *     timed out: KafkaJS closes a connection only once its requests in flight are answered, so a
 *     disconnect would otherwise wait for the broker to end a long wait. (KafkaJS sends a consumer's
 *     fetches on a connection of their own, so its LeaveGroup is not behind them.) The patched fetch then
 *     waits up to the active wait for KafkaJS's own to settle, which it does within milliseconds once its
 *     request is timed out, so it does not run on past the disconnect.
 *     A broker answer that arrives after the time-out is logged by KafkaJS at warn ('Response without
 *     match'). The group's recovery from a failed fetch (`recoverFromFetch`: metadata refresh, rejoin) is
 *     skipped once the consumer stops, so a cut-short fetch never rejoins a group its consumer left.
 * I4. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 * I5. Only the fetch in flight at the stop is cut short. A consumer that fetches on after its FetchWait
 *     stopped (KafkaJS restarting it with the same options, or a join that ends after the stop) fetches at
 *     the active wait, as an unpatched consumer would: answering every fetch with nothing at once would
 *     spin the event loop.
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

/** A KafkaJS broker, down to its connections' requests in flight (its pool keeps one for Fetch). */
interface BrokerInternals {
  readonly connectionPool?: {
    readonly pool?: readonly {
      readonly requestQueue?: { readonly inflight?: Map<number, RequestInternals> };
    }[];
  };
}

/** The members of KafkaJS's ConsumerGroup the patch touches. */
interface ConsumerGroupInternals {
  readonly cluster: {
    readonly brokerPool?: { readonly brokers?: Readonly<Record<string, BrokerInternals>> };
  };
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

/** The group's FetchWait, taken out of `maxWaitTime` at its first fetch (I1); one already stopped is not (I5). */
function waitOf(group: ConsumerGroupInternals): FetchWait | undefined {
  const wait = group.maxWaitTime;
  if (wait instanceof FetchWait) {
    group.maxWaitTime = wait.limits.activeMs;
    if (!wait.stopped) group[WAIT] = wait;
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

/**
 * Times out the group's Fetch requests in flight to broker `nodeId`, so its connection can close (I3). The
 * broker is looked up without connecting: one that is not connected has nothing in flight.
 */
function endFetchesInFlight(group: ConsumerGroupInternals, nodeId: number): void {
  const broker = group.cluster.brokerPool?.brokers?.[nodeId];
  for (const connection of broker?.connectionPool?.pool ?? [])
    for (const request of [...(connection.requestQueue?.inflight?.values() ?? [])])
      if (request.entry.apiName === 'Fetch') request.timeoutRequest();
}

/** Resolves when `promise` settles or after `ms`, whichever comes first (I3). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/** Waits for `fetching` or the stop of `wait`, listening for the stop only meanwhile (fetch-wait.ts I3). */
async function untilStopped<T>(fetching: Promise<T>, wait: FetchWait): Promise<T | undefined> {
  let off: () => void = () => undefined;
  const stopped = new Promise<undefined>((resolve) => {
    off = wait.onStop(() => resolve(undefined));
  });
  try {
    return await Promise.race([fetching, stopped]);
  } finally {
    off();
  }
}

/** Installs the patch on KafkaJS's ConsumerGroup (I4). */
export function patchFetchWait(): void {
  const proto = kafkajsModule<{ prototype: ConsumerGroupInternals }>('consumer/consumerGroup.js').prototype;
  const fetch = proto.fetch;
  const recoverFromFetch = proto.recoverFromFetch;
  proto.fetch = async function (this: ConsumerGroupInternals, nodeId: number): Promise<BatchInternals[]> {
    const wait = waitOf(this);
    if (wait === undefined) return fetch.call(this, nodeId);
    if (wait.stopped) {
      this.maxWaitTime = wait.limits.activeMs; // I5
      return fetch.call(this, nodeId);
    }
    this.maxWaitTime = wait.next(this.generationId, countPaused(this), Date.now()); // I2
    const fetching = fetch.call(this, nodeId);
    fetching.catch(() => undefined); // a cut-short fetch's failure is nobody's (I3)
    const batches = await untilStopped(fetching, wait);
    if (batches !== undefined) {
      wait.fetched(countRecords(batches), Date.now()); // I2
      return batches;
    }
    this.maxWaitTime = 0; // I3
    endFetchesInFlight(this, nodeId);
    await settledWithin(fetching, wait.limits.activeMs);
    return [];
  };
  proto.recoverFromFetch = async function (this: ConsumerGroupInternals, error: unknown): Promise<void> {
    if (waitOf(this)?.stopped === true) return; // I3
    return recoverFromFetch.call(this, error);
  };
  installed = true;
}
