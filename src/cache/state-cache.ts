/**
 * The local cache (DESIGN §6): one LevelDB per executor node holding, per owned partition, the last
 * applied journal offset and every workflow's state, so a restart catches up from the checkpoint instead
 * of offset 0. Only this folder imports classic-level (STYLE §1).
 *
 * Keyspace (never change it without a migration: a node restarting on an old state dir reads it):
 *   c/<p>        → checkpoint of partition p as JSON {journalOffset, commandOffset, epoch}: the last journal
 *                  offset folded into the states below, the next command offset those records account for
 *                  (CommandsConsumed), and the epoch in force at that offset (records.ts I4)
 *   w/<p>/<id>   → the workflow's state as JSON (Maps as entry arrays)
 *
 * I1. Each batch writes the changed states and the checkpoint together, so they never disagree.
 * I2. The cache is disposable: delete it and the node rebuilds every state from the journal.
 * I3. Writes use `sync: false`: a crash may lose the latest batches, which catch-up re-applies (I2).
 */
import { ClassicLevel } from 'classic-level';
import type { JournalRecord, JsonValue } from '../journal/index.js';
import type { WorkflowState } from '../machine/index.js';

/** What the cache holds for one partition. */
export interface CachedPartition {
  readonly checkpoint: Checkpoint;
  readonly workflows: WorkflowState[];
}

/** Where a partition's cached state stands in the journal. Never change its stored form (see keyspace). */
export interface Checkpoint {
  /** Last applied journal offset, or -1 when the partition was never cached here. */
  readonly journalOffset: number;
  /** Next command offset the cached records account for, or 0. */
  readonly commandOffset: number;
  /** The epoch (latest OwnerClaimed offset + 1) in force at `journalOffset`, or 0. */
  readonly epoch: number;
}

/** The checkpoint of a partition never cached here. */
export const EMPTY_CHECKPOINT: Checkpoint = { journalOffset: -1, commandOffset: 0, epoch: 0 };

interface StoredState extends Omit<WorkflowState, 'calls' | 'timers' | 'awaiting'> {
  readonly calls: [number, WorkflowState['calls'] extends Map<number, infer V> ? V : never][];
  readonly timers: [string, WorkflowState['timers'] extends Map<string, infer V> ? V : never][];
  readonly awaiting: [number, string][];
}

function toStored(ws: WorkflowState): StoredState {
  return { ...ws, calls: [...ws.calls], timers: [...ws.timers], awaiting: [...ws.awaiting] };
}

function fromStored(s: StoredState): WorkflowState {
  return {
    ...s,
    calls: new Map(s.calls),
    timers: new Map(s.timers),
    awaiting: new Map(s.awaiting),
    mailbox: [...s.mailbox],
    history: [...s.history] as JournalRecord[],
    result: s.result as JsonValue,
  };
}

/** The node's LevelDB of partition states. */
export class StateCache {
  private readonly db: ClassicLevel<string, string>;

  constructor(directory: string) {
    this.db = new ClassicLevel<string, string>(directory, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  }

  /** Opens the database (creating it if absent). */
  async open(): Promise<void> {
    await this.db.open({ createIfMissing: true });
  }

  /** Closes the database. */
  async close(): Promise<void> {
    await this.db.close();
  }

  /** Reads partition `p`'s checkpoint and states. */
  async load(p: number): Promise<CachedPartition> {
    const raw = await this.db.get(`c/${p}`);
    const checkpoint =
      raw === undefined
        ? EMPTY_CHECKPOINT
        : { ...EMPTY_CHECKPOINT, ...(JSON.parse(raw) as Partial<Checkpoint>) };
    const workflows: WorkflowState[] = [];
    for await (const value of this.db.values({ gte: `w/${p}/`, lt: `w/${p}/\uffff` })) {
      workflows.push(fromStored(JSON.parse(value) as StoredState));
    }
    return { checkpoint, workflows };
  }

  /** Writes changed states and the new checkpoint of partition `p` in one batch (I1, I3). */
  async write(p: number, changed: Iterable<WorkflowState>, checkpoint: Checkpoint): Promise<void> {
    const batch = this.db.batch();
    for (const ws of changed) batch.put(`w/${p}/${ws.id}`, JSON.stringify(toStored(ws)));
    batch.put(`c/${p}`, JSON.stringify(checkpoint));
    await batch.write({ sync: false });
  }

  /** Removes everything cached for partition `p`. */
  async clear(p: number): Promise<void> {
    await this.db.clear({ gte: `w/${p}/`, lt: `w/${p}/\uffff` });
    await this.db.del(`c/${p}`);
  }
}
