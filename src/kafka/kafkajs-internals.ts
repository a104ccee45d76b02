/** KafkaJS's own source modules, as KafkaJS loads them, for the patches (kafkajs-patches.ts). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A module of KafkaJS's source (`network/requestQueue/index.js`, say): the instance KafkaJS uses. */
export function kafkajsModule<T>(path: string): T {
  return require(`kafkajs/src/${path}`) as T;
}

/** The file a module of KafkaJS's source loads from. */
export function kafkajsResolve(path: string): string {
  return require.resolve(`kafkajs/src/${path}`);
}

/** Every CommonJS module loaded so far, by file: KafkaJS's among them, as KafkaJS uses them. */
export function kafkajsModuleCache(): [string, { require(id: string): unknown }][] {
  return Object.entries(require.cache).flatMap(([file, mod]) => (mod === undefined ? [] : [[file, mod]]));
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
