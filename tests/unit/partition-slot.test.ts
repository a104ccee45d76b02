/**
 * Proves PartitionSlot's lifecycle (partition-slot.ts I1–I4) with a fake host whose owners are promises
 * resolved by hand, and a fake clock that records every delay asked of it:
 *   - overlapping `want(true)` calls make one owner (I1);
 *   - a revoke during `starting` stops the owner, the slot ends idle without making another, and the
 *     driver rests only once that owner's start has settled (I2) — also when the revoke comes while the
 *     owner is still being made;
 *   - a reassignment while the previous owner is stopping makes the next owner only after the previous
 *     one's stop() resolved and disposeOwner ran (I4);
 *   - a failed owner is disposed and replaced after a backoff that doubles up to failedBackoffMaxMs, the
 *     new owner keeping the old claim; a fenced one waits fencedBackoffMs and claims anew (I3);
 *   - a revoke during a backoff ends the wait at once; a repeated assignment does not cut it short;
 *   - an owner that fails while it stops is logged, and the next owner claims anew after a fence or a
 *     write whose outcome is unknown (I5).
 */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../src/clock.js';
import { FencedError, UnconfirmedWriteError } from '../../src/errors.js';
import { PartitionSlot, type SlotHost } from '../../src/ownership/index.js';
import type { OwnerPhase, PartitionOwner, PriorClaim } from '../../src/partition/index.js';

const P = 3;
const BACKOFF = {
  failedBackoffMs: 500,
  failedBackoffMaxMs: 3_000,
  fencedBackoffMs: 7_000,
  healthyMs: 60_000,
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Lets every pending promise chain run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A timer-recording clock: timers fire only when the test says so. */
class FakeClock implements Clock {
  readonly delays: number[] = [];
  private readonly timers = new Map<number, () => void>();
  private nextId = 1;

  now(): number {
    return 0;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.delays.push(delayMs);
    this.timers.set(id, fn);
    return id as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  fireAll(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const fn of due) fn();
  }
}

/** An owner whose start and stop the test settles by hand. */
class FakeOwner {
  currentPhase: OwnerPhase = 'starting';
  readonly started = deferred();
  readonly stopped = deferred();
  startCalls = 0;
  stopCalls = 0;

  constructor(
    readonly partition: number,
    readonly n: number,
    readonly claimOffset: number,
    readonly priorClaim: PriorClaim | undefined,
    private readonly host: FakeHost,
    private readonly onFailure: (owner: PartitionOwner, error: unknown) => void,
  ) {}

  start(): Promise<void> {
    this.startCalls++;
    this.host.events.push(`start ${this.n}`);
    return this.started.promise.then(() => {
      if (this.currentPhase === 'starting') this.currentPhase = 'running';
    });
  }

  stop(): Promise<void> {
    this.stopCalls++;
    this.host.events.push(`stop ${this.n}`);
    if (this.currentPhase === 'starting' || this.currentPhase === 'running') this.currentPhase = 'stopping';
    if (!this.host.holdStops) this.stopped.resolve();
    return this.stopped.promise.then(() => {
      if (this.currentPhase === 'stopping') {
        this.currentPhase = 'stopped';
        this.host.events.push(`stopped ${this.n}`);
      }
    });
  }

  /** The owner fails on its own (its loop threw), as PartitionOwner.fail reports it. */
  fail(error: unknown): void {
    this.currentPhase = 'failed';
    this.failedWith = error;
    this.onFailure(this as unknown as PartitionOwner, error);
  }

  failedWith: unknown;
}

/** A SlotHost whose owners are FakeOwners; every call is logged in `events`. */
class FakeHost implements SlotHost {
  readonly owners: FakeOwner[] = [];
  readonly events: string[] = [];
  readonly logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  holdStops = false;
  makeGate: Deferred<void> | undefined;
  disposeGate: Deferred<void> | undefined;

  async makeOwner(
    partition: number,
    priorClaim: PriorClaim | undefined,
    onFailure: (owner: PartitionOwner, error: unknown) => void,
  ): Promise<PartitionOwner> {
    const n = this.owners.length + 1;
    this.events.push(`make ${n} prior=${priorClaim?.offset ?? '-'}`);
    const owner = new FakeOwner(partition, n, 10 * n, priorClaim, this, onFailure);
    this.owners.push(owner);
    if (this.makeGate !== undefined) await this.makeGate.promise;
    return owner as unknown as PartitionOwner;
  }

  async disposeOwner(owner: PartitionOwner): Promise<void> {
    const n = (owner as unknown as FakeOwner).n;
    this.events.push(`dispose ${n}`);
    if (this.disposeGate !== undefined) await this.disposeGate.promise;
    this.events.push(`disposed ${n}`);
  }

  ownerRunning(owner: PartitionOwner): void {
    this.events.push(`running ${(owner as unknown as FakeOwner).n}`);
  }

  log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown>): void {
    this.logs.push({ level, message, fields });
  }

  owner(n: number): FakeOwner {
    const owner = this.owners[n - 1];
    if (owner === undefined) throw new Error(`no owner ${n}`);
    return owner;
  }
}

function setup() {
  const host = new FakeHost();
  const clock = new FakeClock();
  const slot = new PartitionSlot(P, host, clock, BACKOFF);
  return { host, clock, slot };
}

/** Tracks whether a promise has settled. */
function track(promise: Promise<void>): { settled: boolean } {
  const state = { settled: false };
  void promise.finally(() => {
    state.settled = true;
  });
  return state;
}

/** Brings the slot to `owned` with owner number `n` (makeOwner must be the next thing it does). */
async function ownedBy(host: FakeHost, slot: PartitionSlot, n: number): Promise<FakeOwner> {
  await flush();
  const owner = host.owner(n);
  owner.started.resolve();
  await flush();
  expect(slot.status.state).toBe('owned');
  expect(slot.owner).toBe(owner);
  return owner;
}

describe('PartitionSlot: one owner at a time (I1, I4)', () => {
  it('overlapping want(true) calls make one owner', async () => {
    const { host, slot } = setup();
    void slot.want(true);
    void slot.want(true);
    void slot.want(true);
    await flush();
    expect(host.owners).toHaveLength(1);
    await ownedBy(host, slot, 1);
    void slot.want(true);
    await flush();
    expect(host.owners).toHaveLength(1);
    expect(host.events).toEqual(['make 1 prior=-', 'start 1', 'running 1']);
  });

  it('a reassignment while the previous owner stops makes the next one only after stop() and disposeOwner', async () => {
    const { host, slot } = setup();
    void slot.want(true);
    const first = await ownedBy(host, slot, 1);
    host.holdStops = true;
    host.disposeGate = deferred();
    void slot.want(false);
    await flush();
    expect(slot.status.state).toBe('stopping');
    void slot.want(true);
    await flush();
    expect(host.owners).toHaveLength(1);
    first.stopped.resolve();
    await flush();
    expect(host.owners).toHaveLength(1); // disposeOwner has not returned yet
    host.disposeGate.resolve();
    await flush();
    expect(host.owners).toHaveLength(2);
    const at = (event: string): number => host.events.indexOf(event);
    expect(at('stopped 1')).toBeGreaterThan(-1);
    expect(at('disposed 1')).toBeGreaterThan(at('stopped 1'));
    expect(at('make 2 prior=10')).toBeGreaterThan(at('disposed 1'));
    await ownedBy(host, slot, 2);
  });
});

describe('PartitionSlot: a revoke during starting (I2)', () => {
  it.each([
    ['its start then resolves (stopped)', (o: FakeOwner) => o.started.resolve()],
    [
      'its start then rejects (catch-up aborted)',
      (o: FakeOwner) => o.started.reject(new Error('read stopped')),
    ],
  ])('stops the starting owner and rests idle once %s', async (_what, settle) => {
    const { host, clock, slot } = setup();
    void slot.want(true);
    await flush();
    const owner = host.owner(1);
    expect(owner.startCalls).toBe(1);
    const released = track(slot.want(false));
    await flush();
    expect(owner.stopCalls).toBeGreaterThanOrEqual(1); // aborts its catch-up
    expect(released.settled).toBe(false); // the catch-up has not ended yet
    expect(slot.status.state).toBe('starting');
    settle(owner);
    await flush();
    expect(released.settled).toBe(true);
    expect(slot.status.state).toBe('idle');
    expect(host.owners).toHaveLength(1); // no successor
    expect(host.events).toContain('disposed 1');
    expect(host.events).not.toContain('running 1');
    expect(clock.pending).toBe(0); // not treated as a failure: no backoff
    expect(host.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('a revoke while the owner is still being made never lets it catch up unstopped', async () => {
    const { host, slot } = setup();
    host.makeGate = deferred();
    void slot.want(true);
    await flush();
    expect(host.owners).toHaveLength(1); // makeOwner is in progress
    const released = track(slot.want(false));
    await flush();
    host.makeGate.resolve();
    await flush();
    const owner = host.owner(1);
    const caughtUpUnstopped = owner.startCalls > 0 && owner.stopCalls === 0;
    expect(caughtUpUnstopped, 'the revoked owner was started and left to claim and catch up').toBe(false);
    owner.started.resolve();
    await flush();
    expect(released.settled).toBe(true);
    expect(slot.status.state).toBe('idle');
    expect(host.owners).toHaveLength(1);
  });
});

describe('PartitionSlot: failures and backoff (I3)', () => {
  it('start failures back off 500, 1000, 2000, then the cap, and each retry waits for its timer', async () => {
    const { host, clock, slot } = setup();
    void slot.want(true);
    for (let n = 1; n <= 5; n++) {
      await flush();
      expect(host.owners).toHaveLength(n);
      host.owner(n).started.reject(new Error(`boom ${n}`));
      await flush();
      expect(slot.status).toEqual({ state: 'backoff', error: `boom ${n}` });
      expect(host.events).toContain(`disposed ${n}`);
      expect(host.owners).toHaveLength(n); // nothing before the timer fires
      clock.fireAll();
    }
    expect(clock.delays).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it('owners that fail right after starting (a crash loop) back off 500, 1000, 2000, then the cap, each keeping the last claim', async () => {
    const { host, clock, slot } = setup();
    void slot.want(true);
    for (let n = 1; n <= 5; n++) {
      const owner = await ownedBy(host, slot, n);
      owner.fail(new Error(`loop broke ${n}`));
      await flush();
      expect(slot.status).toEqual({ state: 'backoff', error: `loop broke ${n}` });
      expect(host.events).toContain(`disposed ${n}`);
      expect(host.owners).toHaveLength(n);
      clock.fireAll();
      await flush();
      expect(host.owner(n + 1).priorClaim).toEqual({ offset: owner.claimOffset });
    }
    expect(clock.delays).toEqual([500, 1_000, 2_000, 3_000, 3_000]);
  });

  it.each([
    [
      'while running',
      async (host: FakeHost, slot: PartitionSlot) =>
        (await ownedBy(host, slot, 1)).fail(new FencedError('fenced')),
    ],
    [
      'while starting',
      async (host: FakeHost) => {
        await flush();
        host.owner(1).started.reject(new FencedError('fenced'));
      },
    ],
  ])('a fenced owner (%s) waits fencedBackoffMs and the next one claims anew', async (_what, fence) => {
    const { host, clock, slot } = setup();
    void slot.want(true);
    await fence(host, slot);
    await flush();
    expect(slot.status.state).toBe('backoff');
    expect(clock.delays).toEqual([BACKOFF.fencedBackoffMs]);
    expect(host.logs.at(-1)?.level).toBe('warn');
    clock.fireAll();
    await flush();
    expect(host.owners).toHaveLength(2);
    expect(host.owner(2).priorClaim).toBeUndefined();
  });

  it('a revoke during a backoff ends the wait at once; a repeated assignment does not', async () => {
    const { host, clock, slot } = setup();
    void slot.want(true);
    (await ownedBy(host, slot, 1)).fail(new Error('broke'));
    await flush();
    expect(slot.status.state).toBe('backoff');
    void slot.want(true);
    await flush();
    expect(slot.status.state).toBe('backoff'); // still waiting
    expect(host.owners).toHaveLength(1);
    const released = track(slot.want(false));
    await flush();
    expect(released.settled).toBe(true);
    expect(slot.status).toEqual({ state: 'idle' });
    clock.fireAll(); // the stale backoff timer fires: nothing happens
    await flush();
    expect(slot.status.state).toBe('idle');
    expect(host.owners).toHaveLength(1);
  });

  it.each([
    ['a write whose outcome is unknown', new UnconfirmedWriteError('produce timed out'), undefined],
    ['a fence', new FencedError('fenced'), undefined],
    ['any other failure', new Error('broke'), { offset: 10 }],
  ])(
    'an owner that fails with %s while it stops is logged, and a later owner keeps the claim only when it may (I5)',
    async (_what, error, prior) => {
      const { host, clock, slot } = setup();
      void slot.want(true);
      const first = await ownedBy(host, slot, 1);
      host.holdStops = true;
      const released = track(slot.want(false));
      await flush();
      expect(slot.status.state).toBe('stopping');
      first.fail(error); // its open tick's write failed while stop() waited for it
      first.stopped.resolve();
      await flush();
      expect(released.settled).toBe(true);
      expect(slot.status).toEqual({ state: 'idle' }); // revoked: no backoff
      expect(clock.pending).toBe(0);
      expect(host.logs).toContainEqual({
        level: 'warn',
        message: 'partition owner failed while stopping',
        fields: { partition: P, error: error.message },
      });
      host.holdStops = false;
      void slot.want(true);
      await flush();
      expect(host.owner(2).priorClaim).toEqual(prior);
    },
  );
});
