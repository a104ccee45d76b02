/**
 * The client's command producer after a failed produce (client/connection.ts I7), on a fake KafkaJS (no
 * broker; what the rollback does to a real broker is in tests/integration/kafka-refusal.test.ts):
 *   - the producer whose produce failed is replaced before the next produce, and disconnected;
 *   - a producer made while the connection closes is disconnected, never used, and the produce fails;
 *   - a producer whose connect fails is disconnected, and the next produce tries again.
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/client/connection.js';
import { topicNames } from '../../src/kafka/index.js';
import { silentLogger } from '../../src/logging/index.js';

/** A fake producer: `connect` and `send` do what the test queues, in order. */
class FakeProducer {
  sends = 0;
  disconnected = false;
  connectGate: Promise<void> = Promise.resolve();
  connectError: Error | undefined;
  sendError: Error | undefined;

  async connect(): Promise<void> {
    await this.connectGate;
    if (this.connectError !== undefined) throw this.connectError;
  }

  async send(): Promise<void> {
    this.sends++;
    if (this.sendError !== undefined) throw this.sendError;
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

/** A fake consumer that is positioned at once (its first FETCH event comes on run). */
function fakeConsumer() {
  const listeners = new Map<string, () => void>();
  return {
    events: { FETCH: 'fetch', CRASH: 'crash' },
    connect: async () => undefined,
    subscribe: async () => undefined,
    on: (event: string, listener: () => void) => {
      listeners.set(event, listener);
      return () => listeners.delete(event);
    },
    run: async () => {
      listeners.get('fetch')?.();
    },
    disconnect: async () => undefined,
  };
}

/** A connection over a fake Kafka that hands out `producers` in order. */
function connection(producers: FakeProducer[]): ClientConnection {
  let made = 0;
  const kafka = {
    producer: () => {
      const producer = producers[made++];
      if (producer === undefined) throw new Error('the test made no more producers');
      return producer;
    },
    consumer: fakeConsumer,
  } as unknown as Kafka;
  return new ClientConnection(kafka, topicNames('fake'), silentLogger, () => undefined);
}

const command = [{ key: 'w-1', value: Buffer.from('{}') }];

describe("the client's command producer (connection.ts I7)", () => {
  it('replaces a producer whose produce failed before the next produce', async () => {
    const [first, second] = [new FakeProducer(), new FakeProducer()];
    first.sendError = new Error('MESSAGE_TOO_LARGE on one partition');
    const conn = connection([first, second]);
    await expect(conn.produce(command)).rejects.toThrow('MESSAGE_TOO_LARGE');
    await conn.produce(command);
    expect([first.sends, second.sends]).toEqual([1, 1]);
    expect(first.disconnected).toBe(true);
    await conn.produce(command); // a produce that succeeded leaves the producer in place
    expect(second.sends).toBe(2);
    await conn.close();
  });

  it('disconnects a producer made while the connection closes, and never sends on it', async () => {
    const [first, second] = [new FakeProducer(), new FakeProducer()];
    first.sendError = new Error('refused');
    let connected!: () => void;
    second.connectGate = new Promise((resolve) => {
      connected = resolve;
    });
    const conn = connection([first, second]);
    await expect(conn.produce(command)).rejects.toThrow('refused');
    const producing = conn.produce(command); // replacing: `second` is connecting
    await new Promise((resolve) => setImmediate(resolve));
    const closing = conn.close();
    connected();
    await expect(producing).rejects.toThrow(/closed meanwhile/);
    await closing;
    expect([first.disconnected, second.disconnected, second.sends]).toEqual([true, true, 0]);
  });

  it('disconnects a producer whose connect failed, and tries a new one at the next produce', async () => {
    const [first, second, third] = [new FakeProducer(), new FakeProducer(), new FakeProducer()];
    first.sendError = new Error('refused');
    second.connectError = new Error('broker unreachable');
    const conn = connection([first, second, third]);
    await expect(conn.produce(command)).rejects.toThrow('refused');
    await expect(conn.produce(command)).rejects.toThrow('broker unreachable');
    expect(second.disconnected).toBe(true);
    await conn.produce(command);
    expect([first.sends, second.sends, third.sends]).toEqual([1, 0, 1]);
    await conn.close();
  });
});
