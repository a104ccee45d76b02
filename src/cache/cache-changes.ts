/**
 * What one batch of applied journal records changes in the cache, as LevelDB operations: history appended
 * per record, changed states, the timer index, the active and retention indexes, and the checkpoint.
 * Live ticks and catch-up build their batches with this same class (catch-up.ts, owner-tick.ts).
 *
 * I1. The cost of a batch depends on the records in it and the (bounded) states they touch, never on how
 *     long a workflow's history is: history is appended one key per record, never rewritten.
 * I2. A workflow that ends leaves the running keys ('w', 'a') and gets a summary ('d') and a retention
 *     entry ('x') in the same batch; its history keys ('h') are queued for deletion ('z', naming their
 *     seqs: a constant number of operations whatever the history length) and deleted a bounded number at a
 *     time between ticks (PartitionCache.purge). The journal keeps every record.
 * I3. Timer index operations are kept in the order the machine armed and removed them (apply.ts I5), so a
 *     timer armed and fired within one batch leaves nothing behind.
 * I4. The checkpoint is written in the same batch as the changes it covers (DESIGN §6).
 * I5. The journal offset of a workflow's WorkflowStarted ('s' key) is written in the batch that applies it
 *     and never removed with the running keys: a finished workflow's history is read back from there
 *     (admin/workflows/journal-history.ts). One key per workflow, written once.
 * I6. `absorb` folds a later batch into this one (cache-writes.ts I2): the result is the batch both
 *     batches' records would have made together, so a workflow that starts and ends within it writes
 *     neither history nor running keys (I2), and a timer armed and removed within it nothing (I3).
 * I7. `seal` encodes the batch's states as they are now; the operations are built from those encodings,
 *     whatever the states become afterwards (the machine changes them in place, cache-writes.ts I4).
 */
import { type JournalRecord, TERMINAL_RECORD_KINDS } from '../journal/index.js';
import {
  isTerminal,
  isWakeable,
  type PendingTimer,
  type TimerObserver,
  type WorkflowState,
} from '../machine/index.js';
import {
  checkpointKey,
  historyKey,
  purgeValue,
  retentionKey,
  startOffsetValue,
  Tag,
  timerKey,
  workflowKey,
} from './keys.js';
import type { KvOp } from './kv-store.js';
import { encodeDone, encodeState } from './state-codec.js';

/** Where a partition's cached state stands in the journal. Never change its stored form (keys.ts). */
export interface Checkpoint {
  /** Last applied journal offset, or -1 when the partition was never cached here. */
  readonly journalOffset: number;
  /** Next command offset the cached records account for, or 0. */
  readonly commandOffset: number;
  /** The epoch (latest OwnerClaimed offset + 1) in force at `journalOffset`, or 0. */
  readonly epoch: number;
  /**
   * Present when the records after this offset, up to `journalOffset`, were appended by single-produce
   * ticks that no transaction has confirmed yet: they count only if no later claim voids them, so the
   * next owner on this node checks that before it trusts them (claim.ts I4). Absent: all confirmed.
   */
  readonly confirmedOffset?: number;
}

/** The checkpoint of a partition never cached here. */
export const EMPTY_CHECKPOINT: Checkpoint = { journalOffset: -1, commandOffset: 0, epoch: 0 };

const EMPTY = Buffer.alloc(0);

/** A workflow's state as a batch writes it (I7). */
interface StateSnapshot {
  readonly terminal: boolean;
  /** `encodeDone` of a finished workflow, `encodeState` of any other. */
  readonly value: Buffer;
  readonly wakeable: boolean;
  readonly updatedAtMs: number;
  readonly lastSeq: number;
}

/** A timer that became pending (`armed`) or stopped being pending, in the order it happened. */
export interface TimerEvent {
  readonly armed: boolean;
  readonly workflowId: string;
  readonly timer: PendingTimer;
}

/** The cache changes of one batch (a tick, or a stretch of catch-up). */
export class CacheChanges implements TimerObserver {
  private readonly timerOps: KvOp[] = [];
  /** The same timer changes, for the owner's timer queue once the batch is committed. */
  readonly timerEvents: TimerEvent[] = [];
  private readonly touched = new Map<string, WorkflowState>();
  private readonly history = new Map<string, { firstSeq: number; ops: KvOp[] }>();
  private readonly terminalOffsets = new Map<string, number>();
  private readonly startOffsets = new Map<string, number>();
  /** States encoded by `seal` (I7), by id. */
  private readonly sealed = new Map<string, StateSnapshot>();
  private recordCount = 0;
  private recordBytes = 0;

  constructor(private readonly partition: number) {}

  /** Journal records this batch applied. */
  get records(): number {
    return this.recordCount;
  }

  /** Bytes of the journal records this batch applied (their Kafka values). */
  get bytes(): number {
    return this.recordBytes;
  }

  /** True when this batch changes the timer index. */
  get changesTimers(): boolean {
    return this.timerOps.length > 0;
  }

  /** Encodes the states this batch changed as they are now (I7). */
  seal(): void {
    for (const [id, ws] of this.touched) this.sealed.set(id, this.snapshot(ws));
  }

  /** Folds a later, sealed batch into this one (I6). Its timer events stay its own. */
  absorb(later: CacheChanges): void {
    this.timerOps.push(...later.timerOps);
    for (const [id, ws] of later.touched) {
      this.touched.set(id, ws);
      const sealed = later.sealed.get(id);
      if (sealed !== undefined) this.sealed.set(id, sealed);
    }
    for (const [id, entry] of later.history) {
      const mine = this.history.get(id);
      if (mine === undefined) this.history.set(id, { firstSeq: entry.firstSeq, ops: [...entry.ops] });
      else mine.ops.push(...entry.ops);
    }
    for (const [id, offset] of later.terminalOffsets) this.terminalOffsets.set(id, offset);
    for (const [id, offset] of later.startOffsets) this.startOffsets.set(id, offset);
    this.recordCount += later.recordCount;
    this.recordBytes += later.recordBytes;
  }

  private snapshot(ws: WorkflowState): StateSnapshot {
    const terminal = isTerminal(ws.status);
    const value = terminal ? encodeDone(ws, this.terminalOffsets.get(ws.id) ?? -1, false) : encodeState(ws);
    return { terminal, value, wakeable: isWakeable(ws), updatedAtMs: ws.updatedAtMs, lastSeq: ws.lastSeq };
  }

  /** Workflows this batch changed. */
  get workflows(): ReadonlyMap<string, WorkflowState> {
    return this.touched;
  }

  armed(ws: WorkflowState, timer: PendingTimer): void {
    this.timerEvents.push({ armed: true, workflowId: ws.id, timer });
    this.timerOps.push({
      type: 'put',
      key: timerKey(this.partition, timer.fireAtMs, ws.id, timer.timerId),
      value: EMPTY,
    });
    this.touched.set(ws.id, ws);
  }

  removed(ws: WorkflowState, timer: PendingTimer): void {
    this.timerEvents.push({ armed: false, workflowId: ws.id, timer });
    this.timerOps.push({ type: 'del', key: timerKey(this.partition, timer.fireAtMs, ws.id, timer.timerId) });
    this.touched.set(ws.id, ws);
  }

  /** A record applied to `ws`, with its Kafka value and offset (I1). */
  record(ws: WorkflowState, record: JournalRecord, value: Buffer, offset: number): void {
    if (record.seq <= 0) return; // outside the workflow's sequence: it changed nothing
    this.recordCount++;
    this.recordBytes += value.length;
    this.touched.set(ws.id, ws);
    if (TERMINAL_RECORD_KINDS.has(record.body.kind)) this.terminalOffsets.set(ws.id, offset);
    if (record.body.kind === 'WorkflowStarted') this.startOffsets.set(ws.id, offset); // I5
    let entry = this.history.get(ws.id);
    if (entry === undefined) {
      entry = { firstSeq: record.seq, ops: [] };
      this.history.set(ws.id, entry);
    }
    entry.ops.push({ type: 'put', key: historyKey(this.partition, ws.id, record.seq), value });
  }

  /** The batch's operations, with `checkpoint` last (I4). */
  toOps(checkpoint: Checkpoint): KvOp[] {
    const ops: KvOp[] = [];
    for (const [id, ws] of this.touched) {
      const state = this.sealed.get(id) ?? this.snapshot(ws); // I7
      if (state.terminal) this.finished(id, state, ops);
      else this.running(id, state, ops);
    }
    ops.push(...this.timerOps); // I3
    for (const [id, offset] of this.startOffsets)
      ops.push({
        type: 'put',
        key: workflowKey(Tag.start, this.partition, id),
        value: startOffsetValue(offset),
      }); // I5
    ops.push({
      type: 'put',
      key: checkpointKey(this.partition),
      value: Buffer.from(JSON.stringify(checkpoint)),
    });
    return ops;
  }

  private running(id: string, state: StateSnapshot, ops: KvOp[]): void {
    const p = this.partition;
    ops.push(...(this.history.get(id)?.ops ?? []));
    ops.push({ type: 'put', key: workflowKey(Tag.workflow, p, id), value: state.value });
    const active = workflowKey(Tag.active, p, id);
    ops.push(state.wakeable ? { type: 'del', key: active } : { type: 'put', key: active, value: EMPTY });
  }

  /** I2: the history written by earlier batches is queued for deletion; this batch's is never written. */
  private finished(id: string, state: StateSnapshot, ops: KvOp[]): void {
    const p = this.partition;
    const firstNew = this.history.get(id)?.firstSeq ?? state.lastSeq + 1;
    if (firstNew > 1) {
      // It ran before this batch: its running keys and history are there to remove.
      ops.push({ type: 'put', key: workflowKey(Tag.purge, p, id), value: purgeValue(1, firstNew - 1) });
      ops.push({ type: 'del', key: workflowKey(Tag.workflow, p, id) });
      ops.push({ type: 'del', key: workflowKey(Tag.active, p, id) });
    }
    ops.push({ type: 'put', key: workflowKey(Tag.done, p, id), value: state.value });
    ops.push({ type: 'put', key: retentionKey(p, state.updatedAtMs, id), value: EMPTY });
  }
}
