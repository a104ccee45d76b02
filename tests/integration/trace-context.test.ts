/**
 * Proves trace context and logs on the real broker (D24):
 *   - a start command produced by a plain KafkaJS producer with `traceparent`/`tracestate` headers: every
 *     journal record of its workflow and every client event about it carry the same headers (so the same
 *     trace id), WorkflowStarted journals the context, and each step attempt is one span of a test
 *     TracerProvider registered in this process, child of the command's span — a retried step gives two,
 *     the failed one with status ERROR;
 *   - the executor's (pino) log lines about that workflow carry workflowId, partition and workflow;
 *   - an invalid traceparent is ignored with a debug line that names the workflow, and the workflow
 *     completes, untraced, with no dead letter;
 *   - the trace survives a takeover by an executor with an empty cache: records it writes carry the
 *     header and its step span has the command's span as parent;
 *   - `client.start` with a `traceparent` option sends it;
 *   - every journal record, traced or not, names its schema in the `logbook-schema` header.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { SpanStatusCode } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { workflow } from '../../src/index.js';
import {
  decodeRecord,
  JOURNAL_SCHEMA_HEADER,
  JOURNAL_SCHEMA_HEADER_VALUE,
  type JournalRecord,
} from '../../src/journal/index.js';
import { pinoLogger } from '../../src/logging/index.js';
import { STEP_SPAN_ATTRIBUTES as A } from '../../src/tracing/index.js';
import { type Consumed, consumeUntil } from '../support/consume.js';
import { Engine, recordsOf } from '../support/engine.js';
import { uniqueNamespace } from '../support/kafka.js';
import { installTestTracing, type RecordingTracerProvider } from '../support/test-tracer.js';
import { waitFor } from '../support/wait-for.js';

const traced = workflow('traced', async (ctx, input: { n: number }) => {
  const doubled = await ctx.step(
    'flaky',
    ({ attempt }) => {
      if (attempt === 1) throw new Error('first attempt fails');
      return input.n * 2;
    },
    { retry: { maxAttempts: 3, initialInterval: '10ms' } },
  );
  return ctx.step('finish', () => ({ doubled }));
});

const waiter = workflow('waiter', async (ctx) => {
  const go = await ctx.signal<{ ok: boolean }>('go');
  return ctx.step('after', () => go);
});

let engine: Engine;
let provider: RecordingTracerProvider;
let uninstall: () => void;
beforeAll(() => {
  ({ provider, uninstall } = installTestTracing());
});
afterAll(() => uninstall());
afterEach(async () => engine.closeAll());

/** A fresh W3C trace context, as a caller's SDK would send it. */
function newTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** A pino logger at debug writing into `lines`, as the executor's logger. */
function capturedLogger(): { logger: ReturnType<typeof pinoLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pinoLogger({ level: 'debug', destination }), lines };
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return value === undefined ? undefined : String(value);
}

/** Produces a JSON start command with `headers`, as any Kafka producer would. */
async function rawStart(id: string, name: string, input: unknown, headers: IHeaders): Promise<void> {
  const producer = await engine.rawProducer();
  const value = Buffer.from(JSON.stringify({ type: 'start', workflow: name, id, input }), 'utf8');
  await producer.send({
    topic: `${engine.namespace}.commands`,
    acks: -1,
    messages: [{ key: id, value, headers }],
  });
}

/** Journal messages of workflow `id`, decoded, once its terminal record is there. */
async function journalOf(id: string): Promise<{ record: JournalRecord; consumed: Consumed }[]> {
  const decoded = (records: readonly Consumed[]) =>
    records
      .map((consumed) => ({ consumed, record: decodeRecord(consumed.message.value ?? Buffer.alloc(0)) }))
      .filter(({ record }) => record.workflowId === id);
  const all = await consumeUntil({
    brokers: engine.brokers,
    topic: `${engine.namespace}.journal`,
    until: (records) => decoded(records).some(({ record }) => record.body.kind === 'WorkflowCompleted'),
  });
  return decoded(all);
}

/** Event messages about workflow `id`, once its completion event is there. */
async function eventsOf(id: string): Promise<Consumed[]> {
  const mine = (records: readonly Consumed[]) => records.filter((r) => r.key === id);
  const all = await consumeUntil({
    brokers: engine.brokers,
    topic: `${engine.namespace}.events`,
    until: (records) =>
      mine(records).some((r) => header(r.message.headers, 'logbook-event') === 'WorkflowCompleted'),
  });
  return mine(all);
}

const spansOf = (id: string) => provider.spans.filter((s) => s.attributes[A.workflowId] === id);

describe('trace context on the real broker', () => {
  it("a command's traceparent reaches every record, event and step span of its workflow, and logs name it", async () => {
    engine = new Engine(uniqueNamespace('trace'));
    const { logger, lines } = capturedLogger();
    await engine.executor({ workflows: [traced, waiter], logger });
    const id = 'traced-1';
    const t = newTrace();
    await rawStart(id, 'traced', { n: 21 }, { traceparent: t.traceparent, tracestate: 'vendor=abc' });
    expect(await engine.client().handle(id).result({ timeout: '30s' })).toEqual({ doubled: 42 });

    const journal = await journalOf(id);
    expect(journal.map(({ record }) => record.body.kind)).toContain('StepFailed');
    for (const { record, consumed } of journal) {
      expect(header(consumed.message.headers, 'traceparent'), record.body.kind).toBe(t.traceparent);
      expect(header(consumed.message.headers, 'tracestate'), record.body.kind).toBe('vendor=abc');
      expect(header(consumed.message.headers, JOURNAL_SCHEMA_HEADER)).toBe(JOURNAL_SCHEMA_HEADER_VALUE);
    }
    expect(journal[0]?.record.body).toMatchObject({
      kind: 'WorkflowStarted',
      trace: { traceparent: t.traceparent, tracestate: 'vendor=abc' },
    });

    const events = await eventsOf(id);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(header(event.message.headers, 'traceparent')).toBe(t.traceparent);

    const spans = spansOf(id);
    expect(spans.map((s) => [s.name, s.attributes[A.attempt], s.status.code])).toEqual([
      ['step flaky', 1, SpanStatusCode.ERROR],
      ['step flaky', 2, SpanStatusCode.UNSET],
      ['step finish', 1, SpanStatusCode.UNSET],
    ]);
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe(t.traceId);
      expect(span.parent).toMatchObject({ traceId: t.traceId, spanId: t.spanId });
      expect(span.attributes).toMatchObject({ [A.workflow]: 'traced', [A.partition]: 0 });
      expect(span.ended).toBe(true);
    }
    expect(spans[0]?.exceptions[0]).toMatchObject({ message: 'first attempt fails' });

    const about = lines.filter((l) => l.workflowId === id);
    expect(about.map((l) => l.message)).toEqual(
      expect.arrayContaining(['workflow started', 'step attempt failed', 'workflow completed']),
    );
    for (const line of about)
      expect(line).toMatchObject({ workflowId: id, partition: 0, workflow: 'traced' });
  });

  it('an invalid traceparent is ignored with a debug line, never a dead letter, and the workflow completes', async () => {
    engine = new Engine(uniqueNamespace('badtrace'));
    const { logger, lines } = capturedLogger();
    await engine.executor({ workflows: [traced], logger });
    const id = 'untraced-1';
    await rawStart(id, 'traced', { n: 1 }, { traceparent: '00-not-a-trace-01', tracestate: 'vendor=abc' });
    expect(await engine.client().handle(id).result({ timeout: '30s' })).toEqual({ doubled: 2 });

    const journal = await journalOf(id);
    expect(journal[0]?.record.body).toMatchObject({ kind: 'WorkflowStarted', trace: null });
    expect(journal.map(({ record }) => record.body.kind)).not.toContain('CommandRejected');
    for (const { consumed } of journal) {
      expect(header(consumed.message.headers, 'traceparent')).toBeUndefined();
      // an untraced record's header is the one frozen object the produce encoding encodes once (I3 there)
      expect(header(consumed.message.headers, JOURNAL_SCHEMA_HEADER)).toBe(JOURNAL_SCHEMA_HEADER_VALUE);
    }
    expect(lines.filter((l) => l.message === 'trace context ignored')).toEqual([
      expect.objectContaining({
        level: 'debug',
        workflowId: id,
        partition: 0,
        workflow: 'traced',
        reason: 'invalid traceparent "00-not-a-trace-01"',
      }),
    ]);
    const spans = spansOf(id);
    expect(spans).toHaveLength(3);
    for (const span of spans) expect(span.parent).toBeUndefined();
  });

  it('survives a takeover by an executor with an empty cache, and client.start sends its traceparent option', async () => {
    engine = new Engine(uniqueNamespace('tracetakeover'));
    const first = await engine.executor({ workflows: [waiter] });
    const id = 'waiter-1';
    const t = newTrace();
    const client = engine.client();
    await client.start(waiter, { id, traceparent: t.traceparent });
    await waitFor(
      async () => recordsOf(await engine.journal(), id).some((r) => r.body.kind === 'SignalAwaited'),
      {
        timeoutMs: 30_000,
        message: 'the workflow never waited for its signal',
      },
    );
    await first.stop();
    await engine.executor({ workflows: [waiter] }); // a fresh state dir: its cache is rebuilt from the journal
    await client.signal(id, 'go', { ok: true });
    expect(await client.handle(id).result({ timeout: '30s' })).toEqual({ ok: true });

    const journal = await journalOf(id);
    const kinds = journal.map(({ record }) => record.body.kind);
    expect(kinds.slice(-3)).toEqual(['StepStarted', 'StepCompleted', 'WorkflowCompleted']);
    for (const { consumed } of journal)
      expect(header(consumed.message.headers, 'traceparent')).toBe(t.traceparent);
    const [after] = spansOf(id);
    expect(after?.name).toBe('step after');
    expect(after?.parent).toMatchObject({ traceId: t.traceId, spanId: t.spanId });
  });
});
