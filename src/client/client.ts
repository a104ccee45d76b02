/**
 * The Logbook client: sends commands to `ns.commands` and reads outcomes from `ns.events` (DESIGN §8).
 *
 * I1. `start` is idempotent on the workflow id (the executor dedupes), so a retried start is safe.
 * I2. `handle.result()` works whether the workflow ended before or after the call: it listens for the
 *     terminal event and, for a handle to an existing workflow, asks the owner (a `query` command) for its
 *     status at once; a handle from `start` needs no query (the client listened before it sent the start).
 *     Every waiter asks again each `requeryMs`, so a missed event cannot leave it hanging.
 * I3. Events are read read_committed: an aborted tick's events are never seen (connection.ts I1).
 * I4. A connect that fails half-way disconnects what it opened; `close()` never throws for it (connection.ts
 *     I2).
 * I5. Kafka trouble never crashes the caller's process: a send that fails rejects with a retriable
 *     LogbookError (code LB_KAFKA) saying so; a waiting `result()` keeps waiting through a broker outage
 *     (its consumer reconnects; one that crashes for good is replaced) until its own timeout.
 * I6. Bounded: at most `waitersMax` result and describe waits at once, and no command over
 *     `commandBytesMax` (a signal with a huge payload, say) is sent; either fails with a LimitError.
 * I7. An idle client costs next to nothing: its event fetches wait long once it is idle (connection.ts I4).
 * I8. Concurrent commands go out as one produce (command-batcher.ts), each caller told its own outcome.
 * I9. Commands carry W3C trace headers: the caller's `traceparent`, else the active OTel context's (D24).
 * I10. Events are taken a fetched batch at a time (connection.ts I5), and a record on the events topic that
 *     is not a Logbook event is logged and skipped (connection.ts I6).
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { type Command, encodeCommandJson } from '../commands/index.js';
import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import { defaultBrokers, defaultNamespace } from '../executor/executor-options.js';
import type { JsonValue } from '../journal/index.js';
import { createKafka, parseBrokers, type TopicNames, topicNames } from '../kafka/index.js';
import { type Logger, stderrLogger } from '../logging/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import { outgoingTraceHeaders, type TraceOptions } from '../tracing/index.js';
import {
  CancelledError,
  type Duration,
  fromErrorData,
  LimitError,
  TimeoutError,
  toMs,
  type WorkflowDefinition,
} from '../workflow/index.js';
import { readArchivedOutcome } from './archive.js';
import { type BatchedMessage, CommandBatcher } from './command-batcher.js';
import { ClientConnection } from './connection.js';
import { EventWaiter } from './event-waiter.js';

/** Options of `new Client(…)`. */
export interface ClientOptions {
  readonly brokers?: readonly string[] | string;
  readonly namespace?: string;
  /** How often a waiting `result()` asks the owner again (I2). Default 5 s. */
  readonly requeryMs?: number;
  /** Result and describe waits at once, at most (I6). Default 100,000. */
  readonly waitersMax?: number;
  /** Where the client's and its Kafka client's log lines go; stderr JSON lines by default. */
  readonly logger?: Logger;
  /** Largest command this client sends, in bytes (the executors' commandBytesMax). Default 256 KiB. */
  readonly commandBytesMax?: number;
}

/** A workflow's status as its owner reports it. */
export type WorkflowDescription = Extract<WorkflowEvent, { type: 'WorkflowStatus' }>;

/** A started (or found) workflow. */
export interface WorkflowHandle<O = JsonValue> {
  readonly id: string;
  /** Resolves with the workflow's result; rejects with its error, CancelledError, or TimeoutError. */
  result(options?: { readonly timeout?: Duration }): Promise<O>;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Talks to Logbook executors through Kafka. */
export class Client {
  readonly topics: TopicNames;
  private readonly kafka: Kafka;
  private readonly waiter: EventWaiter;
  private readonly logger: Logger;
  private readonly requeryMs: number;
  private readonly commandBytesMax: number;
  private readonly connection: ClientConnection;
  private readonly batcher = new CommandBatcher((messages) => this.connection.produce(messages));

  constructor(options: ClientOptions = {}) {
    const brokers =
      typeof options.brokers === 'string'
        ? parseBrokers(options.brokers)
        : [...(options.brokers ?? defaultBrokers())];
    this.logger = options.logger ?? stderrLogger('debug'); // for its Kafka client too, as kafka-client.ts would
    this.topics = topicNames(options.namespace ?? defaultNamespace());
    this.kafka = createKafka({
      brokers,
      clientId: 'logbook-client',
      logger: this.logger,
    });
    this.requeryMs = options.requeryMs ?? 5_000;
    this.waiter = new EventWaiter(options.waitersMax ?? 100_000);
    this.commandBytesMax = options.commandBytesMax ?? 256 * 1024;
    this.connection = new ClientConnection(this.kafka, this.topics, this.logger, (event) =>
      this.waiter.dispatch(event),
    );
  }

  private async connect(): Promise<void> {
    await this.connection.connect();
  }

  /** Sends one command, keyed by its workflow id (so Kafka's partitioner routes it to its owner). */
  async send(command: Command, trace: TraceOptions = {}): Promise<void> {
    await this.sendEncoded(command, this.encoded(command), outgoingTraceHeaders(trace));
  }

  /** The command's bytes, checked before any I/O: a bad or too large command fails here (I6). */
  private encoded(command: Command): Buffer {
    const value = encodeCommandJson(command);
    if (value.length <= this.commandBytesMax) return value;
    const message = `the ${command.type} of "${command.id}" is ${value.length} bytes, over commandBytesMax (${this.commandBytesMax}); an executor would send it to the DLQ`;
    throw new LimitError(message, {
      limit: 'commandBytesMax',
      max: this.commandBytesMax,
      actual: value.length,
    });
  }

  private async sendEncoded(
    command: Command,
    value: Buffer,
    headers?: BatchedMessage['headers'],
  ): Promise<void> {
    try {
      await this.connect();
      await this.batcher.send({ key: command.id, value, headers }); // I8
    } catch (error) {
      if (error instanceof LogbookError) throw error;
      const message = `could not send the ${command.type} of "${command.id}" to ${this.topics.commands}: ${errorMessage(error)}`;
      throw new LogbookError(ErrorCode.Kafka, message, { retriable: true, cause: error }); // I5
    }
  }

  /** Starts workflow `id` (idempotent, I1) and returns its handle. */
  async start<I, O>(
    definition: WorkflowDefinition<I, O> | string,
    options: { readonly id: string; readonly input?: I; readonly idempotency?: string } & TraceOptions,
  ): Promise<WorkflowHandle<O>> {
    const workflow = typeof definition === 'string' ? definition : definition.name;
    const input = (
      options.input === undefined ? null : JSON.parse(JSON.stringify(options.input))
    ) as JsonValue;
    const command: Command = {
      type: 'start',
      workflow,
      id: options.id,
      input,
      idempotency: options.idempotency ?? null,
      parent: null,
    };
    const value = this.encoded(command);
    const headers = outgoingTraceHeaders(options); // I9
    await this.connect(); // positioned on ns.events before the start is sent, so its outcome cannot be missed
    await this.sendEncoded(command, value, headers);
    return this.makeHandle<O>(options.id, false);
  }

  /** A handle to an existing workflow. */
  handle<O = JsonValue>(id: string): WorkflowHandle<O> {
    return this.makeHandle<O>(id, true);
  }

  private makeHandle<O>(id: string, askFirst: boolean): WorkflowHandle<O> {
    const result = (options: { readonly timeout?: Duration } = {}): Promise<O> =>
      this.result<O>(id, toMs(options.timeout ?? '5m', 'result timeout'), askFirst);
    return { id, result };
  }

  /** Sends signal `name` to workflow `id`. */
  async signal(id: string, name: string, payload: JsonValue = null, trace: TraceOptions = {}): Promise<void> {
    await this.send({ type: 'signal', id, name, payload }, trace);
  }

  /** Asks workflow `id` to cancel; its compensations run and it ends WorkflowCancelled. */
  async cancel(id: string, reason = 'cancelled by client', trace: TraceOptions = {}): Promise<void> {
    await this.send({ type: 'cancel', id, reason }, trace);
  }

  /** Asks the owner of `id` for its status. */
  async describe(id: string, options: { readonly timeout?: Duration } = {}): Promise<WorkflowDescription> {
    await this.connect();
    const requestId = randomUUID();
    const timeoutMs = toMs(options.timeout ?? '15s', 'describe timeout');
    const answer = this.waiter.wait(
      id,
      (e) => (e.type === 'WorkflowStatus' && e.requestId === requestId ? e : undefined),
      timeoutMs,
      () => new TimeoutError(`no executor answered for workflow ${id} within ${timeoutMs} ms`),
    );
    await this.send({ type: 'query', id, requestId });
    return this.withArchive(await answer);
  }

  /** Fills in the result or error of an answer past the executors' retention, from the journal. */
  private async withArchive<E extends WorkflowEvent>(event: E): Promise<E> {
    if (event.type !== 'WorkflowStatus' || event.archived === undefined) return event;
    const outcome = await readArchivedOutcome(this.kafka, this.topics, event.archived);
    return { ...event, ...outcome };
  }

  private async result<O>(id: string, timeoutMs: number, askFirst: boolean): Promise<O> {
    await this.connect();
    const outcome = this.waiter.wait(
      id,
      (e) =>
        e.type === 'WorkflowStatus'
          ? TERMINAL.has(e.status)
            ? e
            : undefined
          : e.type === 'WorkflowStuck' || e.type === 'WorkflowStarted'
            ? undefined
            : e,
      timeoutMs,
      () => new TimeoutError(`workflow ${id} did not finish within ${timeoutMs} ms`),
    );
    const ask = (): void =>
      void this.send({ type: 'query', id, requestId: `result-${randomUUID()}` }).catch(() => undefined);
    if (askFirst) ask(); // I2: it may have ended before this client listened
    const timer = setInterval(ask, this.requeryMs);
    try {
      return settle<O>(await this.withArchive(await outcome));
    } finally {
      clearInterval(timer);
    }
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.connection.close();
  }
}

function settle<O>(event: WorkflowEvent): O {
  const completed =
    event.type === 'WorkflowCompleted' || (event.type === 'WorkflowStatus' && event.status === 'completed');
  if (completed) return (event.result ?? null) as O;
  const cancelled =
    event.type === 'WorkflowCancelled' || (event.type === 'WorkflowStatus' && event.status === 'cancelled');
  if (cancelled) throw new CancelledError(`workflow ${event.id} was cancelled`);
  if (event.error !== undefined) throw fromErrorData(event.error);
  throw new Error(`workflow ${event.id} failed`);
}
