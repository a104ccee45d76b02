/** KafkaJS's own source modules, as KafkaJS loads them, for the patches (kafkajs-patches.ts). */
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';

const require = createRequire(import.meta.url);

/** A module of KafkaJS's source (`network/requestQueue/index.js`, say): the instance KafkaJS uses. */
export function kafkajsModule<T>(path: string): T {
  return require(`kafkajs/src/${path}`) as T;
}

/** A loaded CommonJS module, as far as the patches touch it: the `require` its own code calls. */
export interface LoadedModule {
  require(id: string): unknown;
}

/** KafkaJS's modules loaded so far from the folder `dir` of its source, by path under that folder. */
export function kafkajsLoadedModules(dir: string): Map<string, LoadedModule> {
  const root = require.resolve(`kafkajs/src/${dir}/index.js`).slice(0, -'index.js'.length);
  const modules = new Map<string, LoadedModule>();
  for (const [file, mod] of Object.entries(require.cache))
    if (mod !== undefined && file.startsWith(root)) modules.set(file.slice(root.length), mod);
  return modules;
}

/** What a request through KafkaJS's Connection.send carries, as far as Logbook reads it. */
export interface KafkaRequest {
  readonly request: { readonly apiName: string };
}

/** The members of KafkaJS's Connection that the patch and the request timing of bench:trace wrap. */
export interface ConnectionInternals {
  readonly clientId: string;
  send(this: ConnectionInternals, request: KafkaRequest): Promise<unknown>;
}

/** KafkaJS's Connection class, as KafkaJS loads it: every request of every client goes through its send. */
export function kafkajsConnection(): { prototype: ConnectionInternals } {
  return kafkajsModule('network/connection.js');
}

/** The installed KafkaJS version. */
export function kafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

/** KafkaJS's `kafka.producer()` default; a Cluster made without one takes 0 and asks for metadata before every produce. */
const PRODUCER_METADATA_MAX_AGE_MS = 300_000;

/**
 * A new KafkaJS Cluster (connections, metadata) made by `kafka`'s own private factory, as `kafka.producer()`
 * makes one, with its defaults (`metadataMaxAge`) under `options`: so it has the client's brokers, TLS,
 * SASL and timeouts. `T` names the members the caller uses.
 */
export function kafkajsCluster<T>(kafka: Kafka, options: Readonly<Record<string, unknown>>): T {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') throw new Error('this KafkaJS has no private cluster factory');
  return (create as (o: Readonly<Record<string, unknown>>) => T)({
    metadataMaxAge: PRODUCER_METADATA_MAX_AGE_MS,
    ...options,
  });
}
