/** Ownership: the group's assignment turned into one serial owner lifecycle per partition. */
export { PartitionSlot, type SlotBackoff, type SlotHost, type SlotState } from './partition-slot.js';
