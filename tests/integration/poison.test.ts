/**
 * Bad input fails its own call or workflow, never the partition (issue 6). Each case runs one bad workflow
 * on a one-partition namespace with 20 ordinary workflows started right behind it, and proves: the bad
 * one ends (or its call fails) with the typed, documented error; `status` of it answers, bounded; and all
 * 20 ordinary workflows complete within 30 s. The broker is real; nothing is mocked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type WorkflowDefinition, workflow } from '../../src/index.js';
import { createKafka, topicNames } from '../../src/kafka/index.js';
import { consumeUntil } from '../support/consume.js';
import { Engine, recordsOf } from '../support/engine.js';
import { gate } from '../support/gate.js';
import { uniqueNamespace } from '../support/kafka.js';

const ORDINARY = 20;

const ordinary = workflow('ordinary', async (ctx, input: { n: number }) => {
  const a = await ctx.step('one', () => input.n + 1);
  return ctx.step('two', () => a * 2);
});

/** A body's outcome as data: what it returned, or the error it caught. */
type Caught = { ok: true; value: unknown } | { ok: false; name: string; code: string; message: string };

async function caught(fn: () => Promise<unknown>): Promise<Caught> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string };
    return { ok: false, name: String(e.name), code: String(e.code), message: String(e.message) };
  }
}

let engine: Engine;
afterEach(async () => engine.closeAll());

/** Starts `bad` then 20 ordinary workflows on one partition; returns the bad one's handle and checks the 20. */
async function behindTheBadOne<O>(
  definitions: readonly WorkflowDefinition<never, unknown>[],
  start: (engine: Engine) => Promise<{ result(options: { timeout: string }): Promise<O> }>,
  options: Parameters<Engine['executor']>[0] extends infer T ? Partial<T> : never = {},
): Promise<{ result: () => Promise<O> }> {
  await engine.executor({ workflows: [ordinary, ...definitions], ...options });
  const client = engine.client();
  const bad = await start(engine);
  const handles = await Promise.all(
    Array.from({ length: ORDINARY }, (_, n) => client.start(ordinary, { id: `ok-${n}`, input: { n } })),
  );
  const results = await Promise.all(handles.map((h) => h.result({ timeout: '30s' })));
  expect(results).toEqual(Array.from({ length: ORDINARY }, (_, n) => (n + 1) * 2));
  return { result: () => bad.result({ timeout: '30s' }) };
}

describe('bad input fails its own call or workflow, never the partition', () => {
  it('ctx.emit to a topic that does not exist fails that call with KafkaRejectedError (LB_EMIT_REJECTED)', async () => {
    engine = new Engine(uniqueNamespace('poison-emit-missing'));
    const bad = workflow('bad', async (ctx) =>
      caught(() => ctx.emit('no-such-topic-anywhere', 'k', { x: 1 })),
    );
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    expect(await result()).toMatchObject({
      ok: false,
      name: 'KafkaRejectedError',
      code: ErrorCode.EmitRejected,
    });
    const status = await engine.client().describe('bad-1');
    expect(status.status).toBe('completed');
  });

  it("ctx.emit to the namespace's own journal is refused the same way (reserved for Logbook)", async () => {
    engine = new Engine(uniqueNamespace('poison-emit-journal'));
    const journal = topicNames(engine.namespace).journal;
    const bad = workflow('bad', async (ctx) => caught(() => ctx.emit(journal, 'k', { forged: true })));
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    expect(await result()).toMatchObject({
      ok: false,
      name: 'KafkaRejectedError',
      code: ErrorCode.EmitRejected,
    });
  });

  it('a step that throws a TerminalError with a 2 MiB message fails the workflow with the message cut to 4 KiB', async () => {
    engine = new Engine(uniqueNamespace('poison-big-error'));
    const bad = workflow('bad', async (ctx) =>
      ctx.step(
        'explode',
        () => {
          throw Object.assign(new Error('x'.repeat(2 * 1024 * 1024)), { name: 'TerminalError' });
        },
        { retry: { maxAttempts: 1 } },
      ),
    );
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    const error = (await result().then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error.message.length).toBeLessThan(8 * 1024);
    expect(error.message).toContain('[cut:');
    const failed = recordsOf(await engine.journal(), 'bad-1').find((r) => r.body.kind === 'WorkflowFailed');
    expect(JSON.stringify(failed?.body).length).toBeLessThan(16 * 1024);
  });

  it('ctx.emit of a 1.2 MiB value to an existing topic fails that call with LimitError', async () => {
    engine = new Engine(uniqueNamespace('poison-emit-big'));
    const outbox = `${engine.namespace}.outbox`;
    const admin = createKafka({ brokers: engine.brokers, clientId: 'test-outbox' }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: outbox, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const bad = workflow('bad', async (ctx) => caught(() => ctx.emit(outbox, 'k', 'v'.repeat(1_200_000))));
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    expect(await result()).toMatchObject({ ok: false, name: 'LimitError', code: ErrorCode.Limit });
  });

  it('ctx.child with a 600 KiB input fails the parent’s call with LimitError: the parent is never left waiting', async () => {
    engine = new Engine(uniqueNamespace('poison-child-big'));
    const child = workflow('child', async (_ctx, input: string) => input.length);
    const parent = workflow('parent', async (ctx) =>
      caught(() => ctx.child(child, 'c-1', 'i'.repeat(600 * 1024))),
    );
    const { result } = await behindTheBadOne([parent, child], (e) => e.client().start(parent, { id: 'p-1' }));
    expect(await result()).toMatchObject({ ok: false, name: 'LimitError' });
    expect((await engine.client().describe('c-1')).status).toBe('unknown'); // the child never started
  });

  it('a child id no owner would accept fails the parent’s call at once', async () => {
    engine = new Engine(uniqueNamespace('poison-child-id'));
    const child = workflow('child', async () => 'ran');
    const parent = workflow('parent', async (ctx) => caught(() => ctx.child(child, '__reserved', null)));
    const { result } = await behindTheBadOne([parent, child], (e) => e.client().start(parent, { id: 'p-1' }));
    expect(await result()).toMatchObject({ ok: false, name: 'TerminalError' });
  });

  it('a step result over 256 KiB, or one that is not JSON, fails that step without a retry', async () => {
    engine = new Engine(uniqueNamespace('poison-step-result'));
    const bad = workflow('bad', async (ctx) => ({
      big: await caught(() => ctx.step('big', () => 'r'.repeat(300 * 1024))),
      bigint: await caught(() => ctx.step('bigint', () => ({ n: 10n }))),
    }));
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    expect(await result()).toMatchObject({
      big: { ok: false, name: 'LimitError' },
      bigint: { ok: false, name: 'TerminalError' },
    });
    const started = recordsOf(await engine.journal(), 'bad-1').filter((r) => r.body.kind === 'StepStarted');
    expect(started).toHaveLength(2); // one attempt each
  });

  it('a workflow result over 256 KiB fails the workflow with LimitError', async () => {
    engine = new Engine(uniqueNamespace('poison-result'));
    const bad = workflow('bad', async () => 'r'.repeat(300 * 1024));
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }));
    await expect(result()).rejects.toMatchObject({ name: 'LimitError', code: ErrorCode.Limit });
  });

  it('a signal over commandBytesMax goes to the DLQ, and a flood over mailboxMax too, each with its code', async () => {
    engine = new Engine(uniqueNamespace('poison-signals'));
    // The body stays inside `held` until the test has seen every signal decided, so none is consumed
    // meanwhile and the mailbox holds exactly the first mailboxMax of them.
    const held = gate();
    const waiter = workflow('waiter', async (ctx) => {
      await ctx.step('held', async () => {
        await held.promise;
        return 'released';
      });
      return ctx.signal<number>('go');
    });
    const { result } = await behindTheBadOne(
      [waiter],
      async (e) => {
        const client = e.client();
        const handle = await client.start(waiter, { id: 'w-1' });
        const producer = await e.rawProducer();
        const commands = topicNames(e.namespace).commands;
        const huge = JSON.stringify({
          type: 'signal',
          id: 'w-1',
          name: 'go',
          payload: 'p'.repeat(300 * 1024),
        });
        await producer.send({ topic: commands, messages: [{ key: 'w-1', value: huge }] });
        for (let i = 0; i < 15; i++) await client.signal('w-1', 'go', i);
        return handle;
      },
      { limits: { machine: { mailboxMax: 10 } } },
    );
    // 1 oversize + 5 over the 10-signal mailbox: with the body held, these are all the signals decided
    // before it can take one (the last signal sent is the last dead letter).
    const dlq = await consumeUntil({
      brokers: engine.brokers,
      topic: topicNames(engine.namespace).dlq,
      until: (r) => r.length >= 6,
    }).finally(held.open);
    expect(await result()).toBe(0); // the first signal that fit
    const codes = dlq.map((d) => d.message.headers?.['logbook-error-code']?.toString());
    expect(codes.filter((c) => c === ErrorCode.CommandOversize)).toHaveLength(1);
    expect(codes.filter((c) => c === ErrorCode.CommandMailboxFull)).toHaveLength(5);
  });

  it('more parallel calls than openCallsMax: the ones over it fail with LimitError, the rest run', async () => {
    engine = new Engine(uniqueNamespace('poison-open-calls'));
    const bad = workflow('bad', async (ctx) => {
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, (_, i) => caught(() => ctx.step(`s${i}`, () => i))),
      );
      return {
        ok: outcomes.filter((o) => o.ok).length,
        limited: outcomes.filter((o) => !o.ok && o.name === 'LimitError').length,
      };
    });
    const { result } = await behindTheBadOne([bad], (e) => e.client().start(bad, { id: 'bad-1' }), {
      limits: { machine: { openCallsMax: 25 } },
    });
    const outcome = (await result()) as { ok: number; limited: number };
    expect(outcome.ok + outcome.limited).toBe(30);
    expect(outcome.limited).toBeGreaterThan(0);
  });
});
