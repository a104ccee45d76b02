/**
 * The Logbook client: sends commands to `ns.commands` and reads outcomes from `ns.events` (DESIGN §8).
 *
 * I1. `start` is idempotent on the workflow id (the executor dedupes), so a retried start is safe.
 * I2. `handle.result()` works whether the workflow ended before or after the call: it listens for the
 *     terminal event and, for a handle to an existing workflow, asks the owner (a `query` command) for its
 *     status at once; a handle from `start` needs no query (the client listened before it sent the start).
 *     Every waiter asks again each `requeryMs`, so a missed event cannot leave it hanging.
 * I3. Events are read read_committed: an aborted tick's events are never seen.
 * I4. A connect that fails half-way disconnects what it opened; `close()` never throws for it.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { type Command, encodeCommandJson } from '../commands/index.js';
import { defaultBrokers, defaultNamespace } from '../executor/executor-options.js';
import type { JsonValue } from '../journal/index.js';
import { createKafka, parseBrokers, type TopicNames, topicNames } from '../kafka/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import {
  CancelledError,
  type Duration,
  fromErrorData,
  TimeoutError,
  toMs,
  type WorkflowDefinition,
} from '../workflow/index.js';
import { EventWaiter } from './event-waiter.js';

/** Options of `new Client(…)`. */
export interface ClientOptions {
  readonly brokers?: readonly string[] | string;
  readonly namespace?: string;
  /** How often a waiting `result()` asks the owner again (I2). Default 5 s. */
  readonly requeryMs?: number;
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
  private readonly waiter = new EventWaiter();
  private readonly requeryMs: number;
  private connecting: Promise<{ producer: Producer; consumer: Consumer }> | undefined;

  constructor(options: ClientOptions = {}) {
    const brokers =
      typeof options.brokers === 'string'
        ? parseBrokers(options.brokers)
        : [...(options.brokers ?? defaultBrokers())];
    this.topics = topicNames(options.namespace ?? defaultNamespace());
    this.kafka = createKafka({ brokers, clientId: 'logbook-client' });
    this.requeryMs = options.requeryMs ?? 5_000;
  }

  private connect(): Promise<{ producer: Producer; consumer: Consumer }> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  private async open(): Promise<{ producer: Producer; consumer: Consumer }> {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    const consumer = this.kafka.consumer({
      groupId: `${this.topics.events}.client.${randomUUID()}`,
      readUncommitted: false, // I3
      maxWaitTimeInMs: 50,
    });
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: this.topics.events, fromBeginning: false });
      const positioned = new Promise<void>((resolve) => {
        const off = consumer.on(consumer.events.FETCH, () => {
          off();
          resolve();
        });
      });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (message.value === null) return;
          this.waiter.dispatch(JSON.parse(message.value.toString()) as WorkflowEvent);
        },
      });
      await positioned;
      return { producer, consumer };
    } catch (error) {
      // I4: leave nothing connected, and let a later call try again.
      this.connecting = undefined;
      await Promise.all([
        producer.disconnect().catch(() => undefined),
        consumer.disconnect().catch(() => undefined),
      ]);
      throw error;
    }
  }

  /** Sends one command, keyed by its workflow id (so Kafka's partitioner routes it to its owner). */
  async send(command: Command): Promise<void> {
    const { producer } = await this.connect();
    await producer.send({
      topic: this.topics.commands,
      acks: -1,
      messages: [{ key: command.id, value: encodeCommandJson(command) }],
    });
  }

  /** Starts workflow `id` (idempotent, I1) and returns its handle. */
  async start<I, O>(
    definition: WorkflowDefinition<I, O> | string,
    options: { readonly id: string; readonly input?: I; readonly idempotency?: string },
  ): Promise<WorkflowHandle<O>> {
    const workflow = typeof definition === 'string' ? definition : definition.name;
    const input = (
      options.input === undefined ? null : JSON.parse(JSON.stringify(options.input))
    ) as JsonValue;
    await this.connect(); // positioned on ns.events before the start is sent, so its outcome cannot be missed
    await this.send({
      type: 'start',
      workflow,
      id: options.id,
      input,
      idempotency: options.idempotency ?? null,
      parent: null,
    });
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
  async signal(id: string, name: string, payload: JsonValue = null): Promise<void> {
    await this.send({ type: 'signal', id, name, payload });
  }

  /** Asks workflow `id` to cancel; its compensations run and it ends WorkflowCancelled. */
  async cancel(id: string, reason = 'cancelled by client'): Promise<void> {
    await this.send({ type: 'cancel', id, reason });
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
    return answer;
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
      return settle<O>(await outcome);
    } finally {
      clearInterval(timer);
    }
  }

  /** Disconnects. */
  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    const open = await connecting?.catch(() => undefined); // a failed connect cleaned up after itself (I4)
    if (open !== undefined) await Promise.all([open.producer.disconnect(), open.consumer.disconnect()]);
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
