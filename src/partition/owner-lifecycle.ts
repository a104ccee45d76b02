/**
 * The partition owner's lifecycle as a table of legal transitions (STYLE §2).
 *
 * I1. Only `running` takes inputs; `stopped` and `failed` are final for an owner object (a restart makes
 *     a new owner).
 */
import { assertBug } from '../machine/index.js';

/** Where a partition owner is in its life. */
export type OwnerPhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

const legal: { readonly [P in OwnerPhase]: readonly OwnerPhase[] } = {
  starting: ['running', 'stopping', 'failed'],
  running: ['stopping', 'failed'],
  stopping: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

/** Returns `to` if `from → to` is legal; a bug otherwise. */
export function ownerTransition(from: OwnerPhase, to: OwnerPhase, partition: number): OwnerPhase {
  assertBug(legal[from].includes(to), `partition ${partition} owner: illegal transition ${from} → ${to}`);
  return to;
}
