/**
 * Taking a partition (DESIGN §3, docs/decisions.md D2): claim it in the journal, then catch the cache up
 * to the claim.
 *
 * I1. The claim (OwnerClaimed) is written by the already-fenced writer, so it is the last record of the
 *     partition when it commits: catching up to it means reading everything any earlier owner committed.
 *     It goes through the writer's `claim` where it has one, so no earlier owner's append follows it
 *     (ports.ts I4).
 * I2. The claim opens this owner's epoch (its offset + 1), stamped on every record it writes (records.ts I4).
 * I3. An owner restarted in the same process after a failure that was not a fencing keeps its earlier
 *     claim when the journal shows no later one: it catches up to the journal's end instead, so restarts
 *     leave no trail of claims. Any later claim means another owner was here: it claims anew.
 * I4. A cache holding unconfirmed single-produce records (cache-changes.ts Checkpoint.confirmedOffset) is
 *     trusted only once the journal shows no claim among them newer than the cache's epoch. Such a claim
 *     means this node wrote them as a fenced owner, after losing the partition: they are void, so the
 *     partition's cache is cleared and rebuilt from the journal. The check reads at most the records of
 *     one `confirmIntervalMs` (owner-tick.ts I6).
 * I5. A cache ahead of the journal (its checkpoint at or past the partition's end) was built from another
 *     journal — a new cluster, or the topic deleted and made again, under the same state dir — and is
 *     cleared before anything of it is used. The journal is the truth; the cache is disposable.
 * I6. Once caught up, whether it claimed or kept a claim, the owner settles the events of the journal's
 *     last tick before it (tick-events.ts I4): a tick that sent its events after its records may have
 *     stopped between the two.
 */
import { randomUUID } from 'node:crypto';
import type { Checkpoint } from '../cache/index.js';
import {
  decodeRecord,
  epochOfClaimAt,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
} from '../journal/index.js';
import { assertBug } from '../machine/index.js';
import { catchUp } from './catch-up.js';
import { journalMessage } from './messages.js';
import type { OwnerDeps } from './owner-deps.js';
import { settleTickEvents } from './tick-events-settle.js';

/** Where a new owner stands once it has claimed and caught up. */
export interface Claimed {
  readonly claimOffset: number;
  readonly epoch: number;
  readonly checkpoint: Checkpoint;
  readonly cachedCheckpoint: number;
  readonly records: number;
  readonly voided: number;
  /** Events of the journal's last tick that its owner had not sent, sent at the claim (I6). */
  readonly eventsResent: number;
}

/** Told where a catch-up stands (catch-up.ts CatchUpDeps.onProgress), for the admin surface. */
export type CatchUpProgress = (journalOffset: number, to: number) => void;

function catchUpDeps(deps: OwnerDeps, signal: AbortSignal | undefined, onProgress?: CatchUpProgress) {
  return {
    cache: deps.cache,
    reader: deps.reader,
    partition: deps.partition,
    batchRecordsMax: deps.limits.catchUpBatchRecordsMax,
    stallMs: deps.limits.catchUpStallMs,
    ...(signal === undefined ? {} : { signal }),
    ...(onProgress === undefined ? {} : { onProgress }),
  };
}

/**
 * Clears the partition's cache when it is ahead of the journal's `end` (I5) or holds void records (I4).
 */
async function checkCache(deps: OwnerDeps, end: number, signal: AbortSignal | undefined): Promise<void> {
  const cached = await deps.cache.checkpoint();
  if (cached.journalOffset < 0) return;
  if (end <= cached.journalOffset) {
    deps.logger.log('warn', 'the cache is ahead of the journal (another journal built it); rebuilding', {
      cachedOffset: cached.journalOffset,
      journalEnd: end,
    });
    await deps.cache.clear(); // I5
    return;
  }
  await checkUnconfirmed(deps, cached, signal);
}

/** Checks the cache's unconfirmed records, and clears the partition's cache when they are void (I4). */
async function checkUnconfirmed(
  deps: OwnerDeps,
  cached: Checkpoint,
  signal: AbortSignal | undefined,
): Promise<void> {
  const confirmed = cached.confirmedOffset;
  if (confirmed === undefined || confirmed >= cached.journalOffset) return;
  let newerClaim: number | undefined;
  await deps.reader.readRange(
    confirmed + 1,
    cached.journalOffset + 1,
    async (messages) => {
      for (const m of messages) {
        if (m.value === null || newerClaim !== undefined) continue;
        const record = decodeRecord(m.value);
        if (record.body.kind === 'OwnerClaimed' && epochOfClaimAt(m.offset) > cached.epoch)
          newerClaim = m.offset;
      }
    },
    { stallMs: deps.limits.catchUpStallMs, ...(signal === undefined ? {} : { signal }) },
  );
  if (newerClaim === undefined) return;
  deps.logger.log('warn', 'the cache holds void records of a fenced owner; rebuilding the partition', {
    confirmedOffset: confirmed,
    cachedOffset: cached.journalOffset,
    newerClaim,
  });
  await deps.cache.clear();
}

/** Writes this owner's claim and returns its offset (I1). */
async function writeClaim(deps: OwnerDeps): Promise<number> {
  const claim: JournalRecord = {
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId: '',
    seq: 0,
    atMs: deps.clock.now(),
    body: {
      kind: 'OwnerClaimed',
      partition: deps.partition,
      claimId: randomUUID(),
      executorId: deps.executorId,
    },
  };
  const messages = [journalMessage(claim, deps.topics, deps.partition)];
  const { writer } = deps;
  const offsets = await (writer.claim === undefined ? writer.write(messages) : writer.claim(messages)); // I1
  const offset = offsets.get(`${deps.topics.journal}:${deps.partition}`);
  assertBug(offset !== undefined && offset >= 0, `no offset for the claim of partition ${deps.partition}`);
  return offset;
}

/** Claims the partition (or keeps an earlier claim, I3) and catches the cache up to it. */
export async function claimPartition(
  deps: OwnerDeps,
  signal?: AbortSignal,
  onProgress?: CatchUpProgress,
): Promise<Claimed> {
  const end = await deps.reader.endOffset(); // one ask, for the cache check and a kept claim's catch-up
  await checkCache(deps, end, signal); // I4, I5
  const cached = await deps.cache.checkpoint();
  let records = 0;
  let voided = 0;
  if (deps.priorClaim !== undefined) {
    const result = await catchUp(catchUpDeps(deps, signal, onProgress), end);
    records += result.records;
    voided += result.voided;
    const epoch = epochOfClaimAt(deps.priorClaim.offset);
    if (result.checkpoint.epoch === epoch) {
      const at = { nextCommandOffset: result.checkpoint.commandOffset, epoch };
      const eventsResent = await settleTickEvents(deps, end, at, signal); // I6
      const base = { claimOffset: deps.priorClaim.offset, epoch, checkpoint: result.checkpoint };
      return { ...base, cachedCheckpoint: cached.journalOffset, records, voided, eventsResent }; // I3
    }
  }
  const claimOffset = await writeClaim(deps);
  const result = await catchUp(catchUpDeps(deps, signal, onProgress), claimOffset + 1); // I1: the claim included
  assertBug(
    result.checkpoint.epoch === epochOfClaimAt(claimOffset),
    `partition ${deps.partition}: caught up to a claim that is not ours`,
  );
  const at = { nextCommandOffset: result.checkpoint.commandOffset, epoch: result.checkpoint.epoch };
  const eventsResent = await settleTickEvents(deps, claimOffset, at, signal); // I6
  return {
    claimOffset,
    epoch: result.checkpoint.epoch,
    checkpoint: result.checkpoint,
    cachedCheckpoint: cached.journalOffset,
    records: records + result.records,
    voided: voided + result.voided,
    eventsResent,
  };
}
