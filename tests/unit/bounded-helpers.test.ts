/**
 * Proves the bounds of the small helpers around an owner and a client:
 *   - EventWaiter refuses wait number waitersMax + 1 with a LimitError, and takes one again once a wait
 *     settles or times out (event-waiter.ts I1, I2);
 *   - Quarantine keeps at most QUARANTINE_MAX entries of each kind, forgetting the oldest (quarantine.ts I1);
 *   - Isolation holds at most SUSPECTS_MAX suspects, and suspicion ends SUSPICION_MS after the last
 *     suspect() (isolation.ts I2);
 *   - KafkaTopicCatalog answers reserved topics without asking Kafka, remembers at most
 *     CATALOG_TOPICS_MAX topics, re-asks a missing topic after missingTtlMs and a found one after
 *     knownTtlMs, and records nothing when Kafka cannot be asked (topic-catalog.ts I1–I3);
 *   - Inbox take/takeIntents keep order, drop 'drop' verdicts, keep 'skip' ones in order at the front, and
 *     look at no more than max + SCAN_MAX inputs of a queue per take (inbox.ts I1, I2).
 */
import type { Admin } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventWaiter } from '../../src/client/event-waiter.js';
import { topicNames } from '../../src/journal/index.js';
import { CATALOG_TOPICS_MAX, KafkaTopicCatalog } from '../../src/kafka/topic-catalog.js';
import type { Input, WorkflowEvent } from '../../src/machine/index.js';
import { Inbox, type Queued, SCAN_MAX } from '../../src/partition/inbox.js';
import { Isolation, SUSPECTS_MAX, SUSPICION_MS } from '../../src/partition/isolation.js';
import { QUARANTINE_MAX, Quarantine } from '../../src/partition/quarantine.js';
import { LimitError } from '../../src/workflow/index.js';

afterEach(() => {
  vi.useRealTimers();
});

const completed = (id: string): WorkflowEvent => ({
  type: 'WorkflowCompleted',
  id,
  workflow: 'w',
  atMs: 1,
  result: 1,
});

describe('EventWaiter (I1, I2)', () => {
  const settledOn = (event: WorkflowEvent): true | undefined =>
    event.type === 'WorkflowCompleted' ? true : undefined;

  it('refuses wait waitersMax + 1 with a LimitError and takes one again after a wait settles', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiter = new EventWaiter(3);
    const waits = ['a', 'b', 'c'].map((id) => waiter.wait(id, settledOn, 60_000, () => new Error('timeout')));
    expect(waiter.size).toBe(3);
    const refused = await waiter
      .wait('d', settledOn, 60_000, () => new Error('timeout'))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LimitError);
    expect((refused as LimitError).details).toEqual({ limit: 'waitersMax', max: 3, actual: 4 });
    expect(waiter.size).toBe(3);
    waiter.dispatch(completed('b'));
    await expect(waits[1]).resolves.toBe(true);
    expect(waiter.size).toBe(2);
    const again = waiter.wait('d', settledOn, 60_000, () => new Error('timeout'));
    expect(waiter.size).toBe(3);
    for (const id of ['a', 'c', 'd']) waiter.dispatch(completed(id));
    await expect(Promise.all([waits[0], waits[2], again])).resolves.toEqual([true, true, true]);
    expect(waiter.size).toBe(0);
  });

  it('a wait that times out frees its place', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const waiter = new EventWaiter(1);
    const first = waiter.wait('a', settledOn, 1_000, () => new Error('timed out')).catch((e: unknown) => e);
    await expect(waiter.wait('b', settledOn, 1_000, () => new Error('x'))).rejects.toBeInstanceOf(LimitError);
    vi.advanceTimersByTime(1_000);
    expect(await first).toEqual(new Error('timed out'));
    expect(waiter.size).toBe(0);
    const second = waiter.wait('b', settledOn, 1_000, () => new Error('x'));
    waiter.dispatch(completed('b'));
    await expect(second).resolves.toBe(true);
  });
});

describe('Quarantine (I1)', () => {
  const error = {
    name: 'KafkaRejectedError',
    code: 'LB_KAFKA_REJECTED',
    message: 'too large',
    details: null,
  };
  const command = (offset: number): Input => ({
    kind: 'command',
    command: { type: 'signal', id: `w${offset}`, name: 's', payload: null },
    offset: String(offset),
    raw: { key: null, value: null },
  });
  const emit = (workflowId: string, callSeq: number): Input => ({
    kind: 'intent',
    workflowId,
    intent: { type: 'emit', callSeq, topic: 'out', key: 'k', value: 1, parentSeq: 0 },
  });
  const step = (workflowId: string): Input => ({
    kind: 'intent',
    workflowId,
    intent: { type: 'step', callSeq: 1, name: 's', parentSeq: 0, attemptActive: false },
  });
  const kindAfter = (q: Quarantine, input: Input): string => {
    const out = q.convert(input);
    return out.kind === 'intent' ? out.intent.type : out.kind;
  };

  it.each([
    [
      'commands',
      (q: Quarantine, i: number) => q.refuseCommand(String(i), error),
      (i: number) => command(i),
      'command',
      'badCommand',
    ],
    [
      'emit calls',
      (q: Quarantine, i: number) => q.refuseEmit('wf', i, error),
      (i: number) => emit('wf', i),
      'emit',
      'rejected',
    ],
    [
      'workflows',
      (q: Quarantine, i: number) => q.refuseWorkflow(`w${i}`, error),
      (i: number) => step(`w${i}`),
      'step',
      'stuck',
    ],
  ] as const)(
    'keeps at most QUARANTINE_MAX %s, forgetting the oldest',
    (_kind, refuse, input, untouched, converted) => {
      const q = new Quarantine();
      for (let i = 0; i <= QUARANTINE_MAX; i++) refuse(q, i);
      expect(kindAfter(q, input(0))).toBe(untouched); // the oldest is forgotten
      expect(kindAfter(q, input(1))).toBe(converted);
      expect(kindAfter(q, input(QUARANTINE_MAX))).toBe(converted);
    },
  );

  it('bounds each kind on its own: a full kind does not push out the others', () => {
    const q = new Quarantine();
    q.refuseEmit('wf', 1, error);
    q.refuseWorkflow('parked', error);
    for (let i = 0; i <= QUARANTINE_MAX; i++) q.refuseCommand(String(i), error);
    expect(kindAfter(q, emit('wf', 1))).toBe('rejected');
    expect(kindAfter(q, step('parked'))).toBe('stuck');
  });
});

describe('Isolation (I2)', () => {
  it('holds at most SUSPECTS_MAX suspects', () => {
    const isolation = new Isolation(() => 0);
    isolation.suspect(Array.from({ length: SUSPECTS_MAX + 1 }, (_, i) => `w${i}`));
    expect(isolation.isSuspect('w0')).toBe(true);
    expect(isolation.isSuspect(`w${SUSPECTS_MAX - 1}`)).toBe(true);
    expect(isolation.isSuspect(`w${SUSPECTS_MAX}`)).toBe(false);
    isolation.suspect(['late']);
    expect(isolation.isSuspect('late')).toBe(false);
  });

  it('suspicion lasts SUSPICION_MS after the last suspect(), then ends without a conviction', () => {
    let now = 1_000;
    const isolation = new Isolation(() => now);
    isolation.suspect(['a', 'b']);
    now += SUSPICION_MS / 2;
    isolation.suspect(['c']); // a later rejection extends the suspicion
    now += SUSPICION_MS;
    expect(isolation.active).toBe(true);
    now += 1;
    expect(isolation.active).toBe(false);
    expect(['a', 'b', 'c'].filter((id) => isolation.isSuspect(id))).toEqual([]);
  });

  it('isSuspect answers false once suspicion has expired, asked first', () => {
    let now = 0;
    const isolation = new Isolation(() => now);
    isolation.suspect(['a']);
    now += SUSPICION_MS + 1;
    expect(isolation.isSuspect('a')).toBe(false);
  });
});

describe('KafkaTopicCatalog (I1–I3)', () => {
  const ns = topicNames('cat');

  /** A fake Admin: `topics` exist, each with max.message.bytes 2000; counts what it is asked. */
  function fakeAdmin(topics: Iterable<string>) {
    const state = { existing: new Set(topics), listCalls: 0, described: [] as string[], failing: false };
    const admin = {
      listTopics: async () => {
        state.listCalls++;
        if (state.failing) throw new Error('broker unreachable');
        return [...state.existing];
      },
      describeConfigs: async ({ resources }: { resources: { name: string }[] }) => {
        state.described.push(...resources.map((r) => r.name));
        return {
          resources: resources.map((r) => ({
            resourceName: r.name,
            configEntries: [{ configName: 'max.message.bytes', configValue: '2000' }],
          })),
        };
      },
    };
    return { admin: admin as unknown as Admin, state };
  }

  it.each([ns.journal, ns.events, ns.dlq, '__consumer_offsets', '__transaction_state'])(
    'answers reserved topic %s as not existing without asking Kafka',
    async (topic) => {
      const { admin, state } = fakeAdmin([topic]);
      const catalog = new KafkaTopicCatalog(admin, ns);
      expect(catalog.cached(topic)).toMatchObject({ exists: false });
      expect(state.listCalls).toBe(0);
    },
  );

  it('re-asks a missing topic after missingTtlMs and a found one after knownTtlMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const { admin, state } = fakeAdmin(['found']);
    const catalog = new KafkaTopicCatalog(admin, ns, 60_000, 5_000);
    expect(catalog.cached('found')).toBeUndefined();
    await catalog.refresh(['found', 'missing']);
    expect(state.described).toEqual(['found']);
    expect(catalog.cached('found')).toEqual({ exists: true, maxMessageBytes: 2_000 });
    expect(catalog.cached('missing')).toMatchObject({ exists: false });
    vi.advanceTimersByTime(5_000);
    expect(catalog.cached('missing')).toMatchObject({ exists: false });
    vi.advanceTimersByTime(1);
    expect(catalog.cached('missing')).toBeUndefined(); // asked again on the next emit
    expect(catalog.cached('found')).toBeDefined();
    vi.advanceTimersByTime(60_000 - 5_001);
    expect(catalog.cached('found')).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(catalog.cached('found')).toBeUndefined();
  });

  it('remembers at most CATALOG_TOPICS_MAX topics, forgetting the oldest', async () => {
    const names = Array.from({ length: CATALOG_TOPICS_MAX + 1 }, (_, i) => `t${i}`);
    const { admin } = fakeAdmin(names);
    const catalog = new KafkaTopicCatalog(admin, ns);
    await catalog.refresh(names.slice(0, 10));
    await catalog.refresh(names.slice(10));
    expect(catalog.cached('t0')).toBeUndefined();
    expect(catalog.cached('t1')).toEqual({ exists: true, maxMessageBytes: 2_000 });
    expect(catalog.cached(`t${CATALOG_TOPICS_MAX}`)).toBeDefined();
  });

  it('refresh throws when Kafka cannot be asked, and records nothing', async () => {
    const { admin, state } = fakeAdmin(['known']);
    const catalog = new KafkaTopicCatalog(admin, ns);
    await catalog.refresh(['known']);
    state.failing = true;
    await expect(catalog.refresh(['known', 'other'])).rejects.toThrow('broker unreachable');
    expect(catalog.cached('other')).toBeUndefined(); // not recorded as missing
    expect(catalog.cached('known')).toEqual({ exists: true, maxMessageBytes: 2_000 });
  });
});

describe('Inbox (I1, I2)', () => {
  const timer = (n: number): Queued => ({
    input: { kind: 'timerDue', workflowId: `t${n}`, timerId: `x${n}` },
  });
  const intent = (n: number): Queued => ({
    input: {
      kind: 'intent',
      workflowId: `i${n}`,
      intent: { type: 'sleep', callSeq: n, durationMs: 1, parentSeq: 0 },
    },
  });
  const idOf = (q: Queued): string =>
    q.input.kind === 'timerDue' || q.input.kind === 'intent' ? q.input.workflowId : '?';
  /** A verdict by the number at the end of the id: n % 3 === 1 is skipped, n % 3 === 2 dropped. */
  const byNumber = (q: Queued): 'take' | 'skip' | 'drop' => {
    const n = Number(idOf(q).slice(1));
    return n % 3 === 1 ? 'skip' : n % 3 === 2 ? 'drop' : 'take';
  };

  function filled(timers: number, intents: number): Inbox {
    const inbox = new Inbox();
    for (let i = 0; i < intents; i++) inbox.push(intent(i));
    for (let i = 0; i < timers; i++) inbox.push(timer(i));
    return inbox;
  }

  it('takes intents first (inbox.ts I6), then commands, outcomes and timers, each in order', () => {
    const inbox = filled(3, 3);
    expect(inbox.take(4).map(idOf)).toEqual(['i0', 'i1', 'i2', 't0']);
    expect(inbox.take(10).map(idOf)).toEqual(['t1', 't2']);
  });

  it('drops what the verdict drops and keeps what it skips, in order, at the front', () => {
    const inbox = filled(9, 9);
    expect(inbox.take(3, byNumber).map(idOf)).toEqual(['i0', 'i3', 'i6']);
    expect(inbox.take(100).map(idOf)).toEqual([
      'i1',
      'i4',
      'i7',
      'i8',
      't0',
      't1',
      't2',
      't3',
      't4',
      't5',
      't6',
      't7',
      't8',
    ]);
  });

  it('takeIntents takes intents only, with the same verdict rules', () => {
    const inbox = filled(2, 9);
    expect(inbox.takeIntents(2, byNumber).map(idOf)).toEqual(['i0', 'i3']);
    expect(inbox.takeIntents(100).map(idOf)).toEqual(['i1', 'i4', 'i5', 'i6', 'i7', 'i8']);
    expect(inbox.externalSize).toBe(2);
  });

  it('returnToFront puts untaken inputs back before the rest, in order', () => {
    const inbox = filled(4, 4);
    const taken = inbox.take(6);
    inbox.returnToFront(taken.slice(2)); // i2 i3 t0 t1
    expect(inbox.take(100).map(idOf)).toEqual(['i2', 'i3', 't0', 't1', 't2', 't3']);
  });

  it.each([
    [
      'take (one queue full of skips)',
      (inbox: Inbox, v: (q: Queued) => 'skip') => inbox.take(5, v),
      SCAN_MAX + 500,
      0,
    ],
    ['takeIntents', (inbox: Inbox, v: (q: Queued) => 'skip') => inbox.takeIntents(5, v), 0, SCAN_MAX + 500],
  ] as const)(
    '%s looks at no more than max + SCAN_MAX inputs, and keeps them all',
    (_what, take, timers, intents) => {
      const inbox = filled(timers, intents);
      let looked = 0;
      const out = take(inbox, () => {
        looked++;
        return 'skip';
      });
      expect(out).toEqual([]);
      expect(looked).toBe(5 + SCAN_MAX);
      expect(inbox.size).toBe(timers + intents);
      const ids = inbox.take(timers + intents).map(idOf);
      expect(ids).toEqual(
        timers > 0
          ? Array.from({ length: timers }, (_, i) => `t${i}`)
          : Array.from({ length: intents }, (_, i) => `i${i}`),
      );
    },
  );

  it('take over both queues full of skips looks at each queue within max + SCAN_MAX', () => {
    const inbox = filled(SCAN_MAX + 10, SCAN_MAX + 10);
    const looked = { timers: 0, intents: 0 };
    inbox.take(5, (q) => {
      looked[q.input.kind === 'intent' ? 'intents' : 'timers']++;
      return 'skip';
    });
    expect(looked).toEqual({ timers: 5 + SCAN_MAX, intents: 5 + SCAN_MAX });
  });

  it('keeps order across many takes, returns and compactions', () => {
    const inbox = new Inbox();
    const expected: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      inbox.push(timer(i));
      expected.push(`t${i}`);
    }
    const seen: string[] = [];
    while (inbox.size > 0) {
      const batch = inbox.take(7);
      inbox.returnToFront(batch.slice(4)); // 3 of 7 go back
      seen.push(...batch.slice(0, 4).map(idOf));
    }
    expect(seen).toEqual(expected);
  });
});
