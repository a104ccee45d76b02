/**
 * One tick's decisions: runs `decide` for each input against the partition state, applying each
 * decision's records at once so the next input in the same tick sees them (two starts of one id in one
 * tick make one workflow).
 *
 * I1. The state changes made here are tentative until the tick's transaction commits. Nothing outside the
 *     owner sees them before then: runs get records only after commit, the cache is written only after
 *     commit, and if the commit fails the owner throws this state away and rebuilds from cache + journal.
 * I2. The command offset to commit is one past the highest command offset among the inputs taken.
 * I3. A tick stays within a byte budget (`tickBytesMax`), so its journal records always fit in one record
 *     batch under the broker's `max.message.bytes`; inputs over the budget wait for the next tick.
 */
import { encodeRecord, type JournalRecord } from '../journal/index.js';
import {
  applyRecord,
  type DecideContext,
  decide,
  type Effects,
  type Input,
  noEffects,
  type PartitionState,
  type WorkflowState,
} from '../machine/index.js';

/** What a tick wants committed, and what it changed. */
export interface TickResult {
  readonly effects: Effects;
  readonly changed: Map<string, WorkflowState>;
  /** Next command offset to commit, or undefined when no command was in this tick (I2). */
  readonly nextCommandOffset: number | undefined;
}

function merge(into: Effects, from: Effects): void {
  into.records.push(...from.records);
  into.events.push(...from.events);
  into.deadLetters.push(...from.deadLetters);
  into.emits.push(...from.emits);
  into.commands.push(...from.commands);
}

/** Rough size of what a tick writes, for the byte budget (I3). */
export function estimateTickBytes(tick: TickResult): number {
  return estimateBytes(tick.effects);
}

/** Rough size of what a decision writes, for the tick's byte budget (I3). */
function estimateBytes(effects: Effects): number {
  let bytes = 0;
  for (const r of effects.records) bytes += 64 + encodeRecord(r).length; // the encoding the write then reuses
  for (const e of effects.events) bytes += 64 + JSON.stringify(e).length;
  for (const e of effects.emits) bytes += 64 + JSON.stringify(e.value).length;
  for (const d of effects.deadLetters) bytes += 256 + (d.value?.length ?? 0);
  for (const c of effects.commands) bytes += 64 + JSON.stringify(c).length;
  return bytes;
}

/**
 * Decides and tentatively applies the inputs of one tick (I1), in order, while the tick stays within
 * `bytesMax` (I3); the inputs left over are returned for the next tick. The first input is always taken.
 */
export function runTick(
  state: PartitionState,
  inputs: readonly Input[],
  ctx: DecideContext,
  bytesMax = Number.POSITIVE_INFINITY,
): TickResult & { readonly leftover: readonly Input[] } {
  const effects = noEffects();
  const changed = new Map<string, WorkflowState>();
  let nextCommandOffset: number | undefined;
  let bytes = 0;
  for (const [index, input] of inputs.entries()) {
    const decided = decide(state, input, ctx); // pure: nothing is applied yet
    const size = estimateBytes(decided);
    if (index > 0 && bytes + size > bytesMax)
      return { effects, changed, nextCommandOffset, leftover: inputs.slice(index) };
    bytes += size;
    if (input.kind === 'command' || input.kind === 'badCommand' || input.kind === 'misrouted') {
      nextCommandOffset = Math.max(nextCommandOffset ?? 0, Number(input.offset) + 1);
    }
    for (const record of decided.records) {
      const ws = applyRecord(state, record);
      if (ws !== undefined) changed.set(ws.id, ws);
    }
    merge(effects, decided);
  }
  return { effects, changed, nextCommandOffset, leftover: [] };
}

/** One tick made of two decision rounds (the second from intents of speculated bodies, run-registry I4). */
export function mergeTicks(first: TickResult, second: TickResult): TickResult {
  const effects = noEffects();
  merge(effects, first.effects);
  merge(effects, second.effects);
  const changed = new Map([...first.changed, ...second.changed]);
  const offsets = [first.nextCommandOffset, second.nextCommandOffset].filter(
    (o): o is number => o !== undefined,
  );
  return { effects, changed, nextCommandOffset: offsets.length === 0 ? undefined : Math.max(...offsets) };
}

/** True when a tick has nothing to write at all. */
export function isEmptyTick(tick: TickResult): boolean {
  const e = tick.effects;
  const nothing =
    e.records.length + e.events.length + e.deadLetters.length + e.emits.length + e.commands.length === 0;
  return nothing && tick.nextCommandOffset === undefined;
}

/** The records of a tick in the order they were decided. */
export function tickRecords(tick: TickResult): readonly JournalRecord[] {
  return tick.effects.records;
}
