/** KafkaJS's own source modules, as KafkaJS loads them, for the patches (kafkajs-patches.ts). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A module of KafkaJS's source (`network/requestQueue/index.js`, say): the instance KafkaJS uses. */
export function kafkajsModule<T>(path: string): T {
  return require(`kafkajs/src/${path}`) as T;
}

/** The installed KafkaJS version. */
export function kafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}
