/**
 * Fixes applied to KafkaJS's own classes, once, when the first client is made (kafka-client.ts I4):
 * its request queue (request-queue-patch.ts), its coordinator lookups (coordinator-cache-patch.ts),
 * its request lookups (request-lookup-patch.ts), its produce encoding (produce-encoding-patch.ts) and its
 * consumers' fetch waits (fetch-wait-patch.ts).
 *
 * I1. Patches change the classes KafkaJS itself loads (the same CommonJS modules), at most once per
 *     process, and only on the version they were written for; another version is left as it is.
 */
import { patchCoordinatorLookup } from './coordinator-cache-patch.js';
import { patchFetchWait } from './fetch-wait-patch.js';
import { kafkajsVersion } from './kafkajs-internals.js';
import { produceEncodingWrap } from './produce-encoding-patch.js';
import { patchRequestLookup } from './request-lookup-patch.js';
import { patchRequestQueue } from './request-queue-patch.js';

/** The KafkaJS version the patches were written against (I1). */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

let applied: boolean | undefined;

/** Applies every patch (I1); returns whether they are in place. */
export function patchKafkaJs(): boolean {
  if (applied !== undefined) return applied;
  applied = kafkajsVersion() === PATCHED_KAFKAJS_VERSION;
  if (applied) {
    patchRequestQueue();
    patchCoordinatorLookup();
    patchFetchWait();
    patchRequestLookup(produceEncodingWrap());
  }
  return applied;
}
