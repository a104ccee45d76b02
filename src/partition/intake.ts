/**
 * The edge between the inbox and `decide`: what a tick's inputs need before the pure machine can decide
 * them — stale inputs dropped, the states they name loaded from the cache, `ctx.emit` targets checked
 * against Kafka, step intents told whether an attempt is already running here.
 *
 * I1. An intent counts only if the run that made it is still the workflow's live run; a rolled-back or
 *     evicted run's intents are dropped (its replacement re-makes them).
 * I2. Every state an input names is in the tick's view before deciding: hot, or loaded from the cache
 *     (running or finished), or known to be absent.
 * I3. An emit is checked before it reaches a tick: its topic exists (the catalog is asked again on a miss)
 *     and key and value fit the topic's max.message.bytes. One that does not fails its call with a
 *     KafkaRejectedError or LimitError (a CallRejected record), never the tick.
 * I4. Calls and commands a quarantine names (owner-failure.ts) are refused here the same way.
 */
import type { PartitionCache } from '../cache/index.js';
import { ErrorCode } from '../errors.js';
import type { ErrorData } from '../journal/index.js';
import { type CallIntent, type Input, inputWorkflowId, limitError } from '../machine/index.js';
import type { HotSet, TickView } from './hot-set.js';
import type { Queued } from './inbox.js';
import type { TopicCatalog } from './ports.js';
import type { Quarantine } from './quarantine.js';
import type { RunRegistry } from './run-registry.js';

/** Bytes Kafka adds around a record's key and value in a batch, kept free under max.message.bytes. */
export const RECORD_OVERHEAD_BYTES = 512;

/** What the intake needs. */
export interface IntakeDeps {
  readonly hot: HotSet;
  readonly runs: RunRegistry;
  readonly cache: PartitionCache;
  readonly catalog: TopicCatalog;
  readonly quarantine: Quarantine;
  /** Commands below this offset were applied already (a redelivery after a resync). */
  readonly nextCommandOffset: () => number;
  /** Attempts the step runner's queue has room for now (stepQueueMax less those waiting). */
  readonly attemptRoom: () => number;
}

function emitRejected(topic: string, reason: string): ErrorData {
  return {
    name: 'KafkaRejectedError',
    code: ErrorCode.EmitRejected,
    message: `cannot emit to "${topic}": ${reason}`,
    details: { topic },
  };
}

/** Readies a tick's inputs for `decide` (I1–I4). */
export class Intake {
  private attemptsThisTick = 0;

  constructor(private readonly deps: IntakeDeps) {}

  /**
   * Whether a tick takes `q`: a stale intent (I1) or a redelivered command is dropped; an input that may
   * start a step attempt waits while the step runner's queue is full (stepQueueMax).
   */
  verdict(q: Queued): 'take' | 'skip' | 'drop' {
    const { input } = q;
    if (input.kind === 'intent') {
      if (this.deps.hot.runs.get(input.workflowId) !== q.run) return 'drop';
      return input.intent.type === 'step' ? this.attemptRoom() : 'take';
    }
    if (input.kind === 'command' || input.kind === 'badCommand' || input.kind === 'misrouted')
      return Number(input.offset) >= this.deps.nextCommandOffset() ? 'take' : 'drop';
    if (input.kind === 'timerDue') return this.attemptRoom(); // a retry timer starts an attempt
    return 'take';
  }

  /** A tick begins: the attempts it may start are counted afresh. */
  startTick(): void {
    this.attemptsThisTick = 0;
  }

  /** 'take' while this tick's attempts still fit the step runner's queue (stepQueueMax), else 'skip'. */
  private attemptRoom(): 'take' | 'skip' {
    if (this.attemptsThisTick >= this.deps.attemptRoom()) return 'skip';
    this.attemptsThisTick++;
    return 'take';
  }

  /** The inputs of `queued` ready to decide, in order (I1–I4); loads what they name into `view`. */
  async prepare(queued: readonly Queued[], view: TickView): Promise<Input[]> {
    const inputs = queued.map((q) => this.deps.quarantine.convert(q.input)); // I4
    await this.load(inputs, view);
    await this.refreshTopics(inputs);
    return inputs.map((input) => this.checked(input));
  }

  private async load(inputs: readonly Input[], view: TickView): Promise<void> {
    const ids = new Set<string>();
    for (const input of inputs) {
      const id = inputWorkflowId(input);
      if (id !== undefined && view.get(id) === undefined) ids.add(id);
    }
    if (ids.size === 0) return;
    for (const [id, cached] of await this.deps.cache.workflows([...ids])) view.local.set(id, cached.state); // I2
  }

  private async refreshTopics(inputs: readonly Input[]): Promise<void> {
    const unknown = new Set<string>();
    for (const input of inputs) {
      if (
        input.kind === 'intent' &&
        input.intent.type === 'emit' &&
        this.deps.catalog.cached(input.intent.topic) === undefined
      )
        unknown.add(input.intent.topic);
    }
    if (unknown.size > 0) await this.deps.catalog.refresh([...unknown]); // throws when Kafka cannot answer
  }

  private checked(input: Input): Input {
    if (input.kind !== 'intent') return input;
    const { intent, workflowId } = input;
    if (intent.type === 'step')
      return {
        ...input,
        intent: { ...intent, attemptActive: this.deps.runs.attemptActive(workflowId, intent.callSeq) },
      };
    if (intent.type !== 'emit') return input;
    const error = this.emitProblem(intent);
    if (error === undefined) return input;
    const { callSeq, parentSeq, topic } = intent;
    return {
      ...input,
      intent: { type: 'rejected', callSeq, parentSeq, callKind: 'emit', name: topic, error },
    };
  }

  /** Why an emit cannot be written, or undefined when it can (I3). */
  private emitProblem(intent: CallIntent & { type: 'emit' }): ErrorData | undefined {
    const info = this.deps.catalog.cached(intent.topic);
    if (info === undefined) return emitRejected(intent.topic, 'the topic could not be looked up');
    if (!info.exists) return emitRejected(intent.topic, info.reason);
    const bytes =
      Buffer.byteLength(intent.key, 'utf8') + Buffer.byteLength(JSON.stringify(intent.value), 'utf8');
    const max = info.maxMessageBytes - RECORD_OVERHEAD_BYTES;
    if (bytes <= max) return undefined;
    const message = `emitted key and value are ${bytes} bytes, over what topic "${intent.topic}" takes (max.message.bytes ${info.maxMessageBytes})`;
    return limitError('max.message.bytes', max, bytes, message);
  }
}
