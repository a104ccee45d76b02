/**
 * One tick's decisions: runs `decide` for each input against the partition state, applying each
 * decision's records at once so the next input in the same tick sees them (two starts of one id in one
 * tick make one workflow).
 *
 * I1. The state changes made here are tentative until the tick's transaction commits. Nothing outside the
 *     owner sees them before then, and if the commit fails the owner drops every state the tick touched
 *     (hot-set.ts I2).
 * I2. The command offset to commit is one past the highest command offset among the inputs taken.
 * I3. A tick stays within a byte budget (`tickBytesMax`), so its journal records always fit in one record
 *     batch under the journal topic's max.message.bytes; inputs over the budget wait for the next tick.
 *     The first input of a tick's first round is always taken (progress); a second round takes nothing
 *     that does not fit.
 */
import { encodeRecord } from '../journal/index.js';
import {
  applyRecord,
  type DecideContext,
  decide,
  type Effects,
  type Input,
  noEffects,
  type PartitionState,
  type TimerObserver,
} from '../machine/index.js';

/** What a round of decisions wants committed, and what it touched. */
export interface TickResult {
  readonly effects: Effects;
  /** Ids of the workflows whose state changed. */
  readonly touched: Set<string>;
  /** Next command offset to commit, or undefined when no command was in this round (I2). */
  readonly nextCommandOffset: number | undefined;
  /** How many of the inputs were taken (the rest did not fit, I3). */
  readonly taken: number;
  readonly bytes: number;
}

function merge(into: Effects, from: Effects): void {
  into.records.push(...from.records);
  into.events.push(...from.events);
  into.deadLetters.push(...from.deadLetters);
  into.emits.push(...from.emits);
  into.commands.push(...from.commands);
  into.attempts.push(...from.attempts);
  into.timersNotDue.push(...from.timersNotDue);
}

/** Rough size of what a decision writes, for the tick's byte budget (I3). */
export function estimateBytes(effects: Effects): number {
  let bytes = 0;
  for (const r of effects.records) bytes += 64 + encodeRecord(r).length; // the encoding the write then reuses
  for (const e of effects.events) bytes += 64 + JSON.stringify(e).length;
  for (const e of effects.emits) bytes += 64 + e.key.length + JSON.stringify(e.value).length;
  for (const d of effects.deadLetters) bytes += 256 + (d.value?.length ?? 0) + d.reason.length;
  for (const c of effects.commands) bytes += 64 + JSON.stringify(c).length;
  return bytes;
}

function isCommand(input: Input): input is Extract<Input, { offset: string }> {
  return input.kind === 'command' || input.kind === 'badCommand' || input.kind === 'misrouted';
}

/**
 * Decides and tentatively applies `inputs` in order (I1) while the round stays within `bytesMax` (I3).
 * With `firstAlways`, the first input is taken even over the budget.
 */
export function runTick(
  state: PartitionState,
  inputs: readonly Input[],
  ctx: DecideContext,
  bytesMax: number,
  timers: TimerObserver,
  firstAlways: boolean,
): TickResult {
  const effects = noEffects();
  const touched = new Set<string>();
  let nextCommandOffset: number | undefined;
  let bytes = 0;
  let taken = 0;
  for (const [index, input] of inputs.entries()) {
    const decided = decide(state, input, ctx); // pure: nothing is applied yet
    const size = estimateBytes(decided);
    if (bytes + size > bytesMax && !(index === 0 && firstAlways)) break;
    bytes += size;
    taken++;
    if (isCommand(input)) nextCommandOffset = Math.max(nextCommandOffset ?? 0, Number(input.offset) + 1);
    for (const record of decided.records) {
      const ws = applyRecord(state, record, timers);
      if (ws !== undefined && record.seq > 0) touched.add(ws.id);
    }
    merge(effects, decided);
  }
  return { effects, touched, nextCommandOffset, taken, bytes };
}

/** One tick made of two decision rounds (the second from intents of speculated bodies, run-registry I4). */
export function mergeTicks(first: TickResult, second: TickResult): TickResult {
  const effects = noEffects();
  merge(effects, first.effects);
  merge(effects, second.effects);
  const offsets = [first.nextCommandOffset, second.nextCommandOffset].filter(
    (o): o is number => o !== undefined,
  );
  return {
    effects,
    touched: new Set([...first.touched, ...second.touched]),
    nextCommandOffset: offsets.length === 0 ? undefined : Math.max(...offsets),
    taken: first.taken + second.taken,
    bytes: first.bytes + second.bytes,
  };
}
