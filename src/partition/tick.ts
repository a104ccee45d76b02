/**
 * One tick's decisions: runs `decide` for each input against the partition state, applying each
 * decision's records at once so the next input in the same tick sees them (two starts of one id in one
 * tick make one workflow).
 *
 * I1. The state changes made here are tentative until the tick's transaction commits. Nothing outside the
 *     owner sees them before then: runs get records only after commit, the cache is written only after
 *     commit, and if the commit fails the owner throws this state away and rebuilds from cache + journal.
 * I2. The command offset to commit is one past the highest command offset among the inputs.
 */
import type { JournalRecord } from '../journal/index.js';
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

/** Decides and tentatively applies every input of one tick (I1). */
export function runTick(state: PartitionState, inputs: readonly Input[], ctx: DecideContext): TickResult {
  const effects = noEffects();
  const changed = new Map<string, WorkflowState>();
  let nextCommandOffset: number | undefined;
  for (const input of inputs) {
    if (input.kind === 'command' || input.kind === 'badCommand' || input.kind === 'misrouted') {
      nextCommandOffset = Math.max(nextCommandOffset ?? 0, Number(input.offset) + 1);
    }
    const decided = decide(state, input, ctx);
    for (const record of decided.records) {
      const ws = applyRecord(state, record);
      if (ws !== undefined) changed.set(ws.id, ws);
    }
    merge(effects, decided);
  }
  return { effects, changed, nextCommandOffset };
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
