/** The local LevelDB cache of partition states. The only folder that imports classic-level. */
export { type CachedPartition, StateCache } from './state-cache.js';
