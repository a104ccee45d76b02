/**
 * Which partition a key belongs to, by Kafka's default partitioner (Java-compatible murmur2), the one
 * every standard producer uses for keyed messages — so Logbook and any other producer agree.
 *
 * I1. The result depends only on the key bytes and the partition count.
 */
import { Partitioners, type PartitionMetadata } from 'kafkajs';

const murmur2 = Partitioners.DefaultPartitioner();

/** The partition of `key` among `count` partitions (I1). */
export function partitionFor(key: string, count: number): number {
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  return murmur2({ topic: '', partitionMetadata, message: { key, value: null } });
}
