/**
 * Sends concurrent commands as one produce. KafkaJS has no linger, and the client's idempotent producer
 * sends one request at a time, so a hundred concurrent `start` calls were a hundred requests in a row;
 * batched, they are one or two.
 *
 * I1. A command asked for while no produce is in flight goes out once the microtask queue has drained
 *     (event-loop.ts), with every other command asked for meanwhile: the callers woken by one event batch,
 *     or started by one `Promise.all`, share it. Commands asked for while a produce is in flight go out
 *     together in the next one, right after it. So a lone command waits a few microseconds (not the rest
 *     of the loop turn, ~0.15 ms of a sequential workflow here), and a busy client sends as many commands
 *     per request as arrive per round trip.
 * I2. A produce carries at most `batchMax` commands and `batchBytesMax` bytes of values (kept under the
 *     broker's default `max.message.bytes`, since one partition's record batch may hold them all); one
 *     command is never split.
 * I3. Each caller's promise settles with the outcome of the produce that carried its command: resolved
 *     once Kafka acknowledged it (acks=all), rejected with that produce's error.
 * I4. At most `queuedMax` commands wait at once; one more is refused at once with a LimitError.
 */
import { afterMicrotasks } from '../event-loop.js';
import { LimitError } from '../workflow/index.js';

/** One command to send. */
export interface BatchedMessage {
  readonly key: string;
  readonly value: Buffer;
  /** Kafka headers, e.g. the W3C trace context (D24). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** One command as it goes to Kafka. */
export interface ProducedMessage {
  readonly key: string;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Limits of a {@link CommandBatcher} (I2, I4). */
export interface CommandBatchLimits {
  readonly batchMax: number;
  readonly batchBytesMax: number;
  readonly queuedMax: number;
}

/** Default limits: 500 commands or 900 KiB a produce, 100,000 waiting. */
export const defaultCommandBatchLimits: CommandBatchLimits = {
  batchMax: 500,
  batchBytesMax: 900 * 1024,
  queuedMax: 100_000,
};

interface Pending extends BatchedMessage {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Batches commands into produces (I1–I4). */
export class CommandBatcher {
  private readonly queue: Pending[] = [];
  private head = 0;
  private scheduled = false;
  private flushing = false;

  constructor(
    private readonly produce: (messages: readonly ProducedMessage[]) => Promise<void>,
    private readonly limits: CommandBatchLimits = defaultCommandBatchLimits,
  ) {}

  /** Commands waiting to be sent. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Sends `message` in the next produce; resolves once Kafka acknowledged it (I3). */
  send(message: BatchedMessage): Promise<void> {
    if (this.queued >= this.limits.queuedMax) {
      const text = `${this.queued} commands wait to be sent, the queuedMax limit of this client`;
      return Promise.reject(
        new LimitError(text, { limit: 'queuedMax', max: this.limits.queuedMax, actual: this.queued + 1 }),
      ); // I4
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...message, resolve, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        afterMicrotasks(() => void this.flush()); // I1
      }
    });
  }

  /** The next batch off the queue (I2). */
  private take(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && batch.length < this.limits.batchMax) {
      const next = this.queue[this.head];
      if (next === undefined) break;
      if (batch.length > 0 && bytes + next.value.length > this.limits.batchBytesMax) break;
      batch.push(next);
      bytes += next.value.length;
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return batch;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    try {
      for (let batch = this.take(); batch.length > 0; batch = this.take()) {
        try {
          await this.produce(
            batch.map(({ key, value, headers }) =>
              headers === undefined ? { key, value } : { key, value, headers },
            ),
          );
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error); // I3
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
