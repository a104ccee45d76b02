/**
 * Committed consumer-group offsets, read with the admin client.
 *
 * I1. A partition with no committed offset starts at 0 (the executor group reads commands from the
 *     beginning of a new namespace, so no command produced before the first executor is lost).
 */
import type { Admin } from 'kafkajs';

/** The committed next offset of `groupId` on `topic`/`partition`, or 0 when there is none (I1). */
export async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
  partition: number,
): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const found = entry?.partitions.find((p) => p.partition === partition);
  const offset = Number(found?.offset ?? '-1');
  return Math.max(offset, 0);
}
