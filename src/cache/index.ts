/** The local cache (LevelDB) of partition states. The only folder that imports classic-level. */
export { CacheChanges, type Checkpoint, EMPTY_CHECKPOINT, type TimerEvent } from './cache-changes.js';
export { CACHE_FORMAT, timerSortKey } from './keys.js';
export { type KvOp, type KvRange, type KvStore, LevelKvStore, MemoryKvStore } from './kv-store.js';
export { type CacheOpening, NodeCache } from './node-cache.js';
export {
  type CachedRecord,
  type CachedWorkflow,
  type ListedWorkflow,
  PartitionCache,
  SYNC_READ_IDS_MAX,
  type WorkflowEntryKinds,
} from './partition-cache.js';
export type { DoneEntry } from './state-codec.js';
