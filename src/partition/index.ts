/** The partition owner: claim and catch-up, the tick loop, failures, the hot set. */
export { type CatchUpResult, catchUp } from './catch-up.js';
export { type CommandMessage, commandInput } from './command-input.js';
export { DLQ_HEADERS, journalKey, journalMessage, tickMessages } from './messages.js';
export { PartitionOwner } from './owner.js';
export { defaultOwnerLimits, type OwnerFailing, type OwnerLimits, type OwnerStats } from './owner-config.js';
export type { OwnerDeps, PriorClaim } from './owner-deps.js';
export type { OwnerPhase } from './owner-lifecycle.js';
export type {
  BaseOffsets,
  JournalMessage,
  JournalReader,
  JournalWriter,
  OutMessage,
  ReadOptions,
  TopicCatalog,
  TopicInfo,
  WriteFailure,
  WriteFailureKind,
} from './ports.js';
export type { OwnerPositions } from './positions.js';
export { JOURNAL_OFFSET_HEADER, journalThenEvents, TICK_EVENTS_HEADER } from './tick-events.js';
export { type SettleDeps, settleTickEvents } from './tick-events-settle.js';
export type { CommittedTick, TickObserver } from './tick-observer.js';
