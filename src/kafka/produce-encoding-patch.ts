/**
 * A fix for KafkaJS 2.2.4's produce request encoding, applied once when the first client is made.
 *
 * KafkaJS builds every record of a produce in its own `Encoder` (a zero-filled 512-byte buffer), each of
 * its varints in a buffer of its own, and then copies the records into the batch, the batch into its
 * frame, the frame into the partition's and the partition's into the topic's: a profile at 100 workflows
 * in flight put 13 % of Node's main thread under the produce request's encoding (docs/decisions.md D32).
 *
 * I1. Produce versions 3 to 7 (one layout) get their body from `encodeProduceBody`, written once into a
 *     buffer of its exact size: the same bytes (produce-encoding.ts I1). Whatever it does not take
 *     (produce-encoding.ts I2) and every other version keep KafkaJS's own encoder.
 * I2. The request KafkaJS builds is otherwise untouched (its api key, version, response, expectResponse);
 *     only its `encode` is replaced, and it still answers a KafkaJS `Encoder`, which the framing reads.
 * I3. Applied through kafkajs-patches.ts, as the request-lookup patch's `wrap` (request-lookup-patch.ts
 *     I3): the wrapped module is made once, at the first lookup of its version, and remembered there.
 * I4. A request that names a partition's own producer (produce-encoding.ts I4) and is off the encoding's
 *     path fails with a Bug: KafkaJS's encoder would write it under the request's producer instead.
 */
import { ErrorCode, LogbookError } from '../errors.js';
import { kafkajsModule } from './kafkajs-internals.js';
import {
  encodeProduceBody,
  type Int64,
  type ProducePartitionData,
  type ProduceRequestArgs,
} from './produce-encoding.js';
import type { LoadedWrap } from './request-lookup-patch.js';

interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}
interface ProduceRequest {
  encode(): Promise<KafkaEncoder>;
}
type ProduceRequestModule = (args: ProduceRequestArgs) => ProduceRequest;

const ON_PATH = /^\.\/v[3-7]\/request$/;

/** The request-lookup wrap that gives produce's request modules v3–v7 `encodeProduceBody` (I1, I3). */
export function produceEncodingWrap(): LoadedWrap {
  const Encoder = kafkajsModule<{ prototype: KafkaEncoder }>('protocol/encoder.js');
  const Long = kafkajsModule<{ fromValue(v: unknown): Int64 }>('utils/long.js');
  const crc32c = kafkajsModule<(bytes: Buffer) => number>('protocol/recordBatch/crc32C/index.js');
  const deps = { int64: (v: unknown) => Long.fromValue(v), crc32c, now: () => Date.now() };

  return (api, id, loaded) => {
    if (api !== 'produce' || !ON_PATH.test(id)) return loaded;
    const original = loaded as ProduceRequestModule;
    return (args: ProduceRequestArgs): ProduceRequest => {
      const request = original(args);
      const encodeOwn = request.encode;
      request.encode = async () => {
        const body = encodeProduceBody(args, deps);
        if (body === undefined && ownProducers(args)) {
          const message = "a produce with a partition's own producer is off the encoding's path";
          throw new LogbookError(ErrorCode.Bug, message); // I4: KafkaJS would write the request's producer
        }
        if (body === undefined) return encodeOwn();
        const encoder = Object.create(Encoder.prototype) as KafkaEncoder; // I2: what the framing reads
        encoder.buf = body;
        encoder.offset = body.length;
        return encoder;
      };
      return request;
    };
  };
}

/** True when a partition of the request names its own producer (produce-encoding.ts I4). */
function ownProducers(args: ProduceRequestArgs): boolean {
  const { topicData } = args;
  return (
    Array.isArray(topicData) &&
    topicData.some(
      (t) =>
        Array.isArray(t.partitions) &&
        t.partitions.some((p: ProducePartitionData) => p.producer !== undefined),
    )
  );
}
