/** The local LevelDB cache of partition states. The only folder that imports classic-level. */
export { type CachedPartition, type Checkpoint, EMPTY_CHECKPOINT, StateCache } from './state-cache.js';
