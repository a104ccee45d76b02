/**
 * The client checks what it sends before any I/O (client.ts I6): a command over commandBytesMax — a
 * signal with a huge payload, a start with a huge input — fails at once with a LimitError naming the
 * limit, and nothing is sent (the client here has no broker to send to at all).
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { LimitError } from '../../src/workflow/index.js';

describe('client limits', () => {
  it('a signal whose command is over commandBytesMax fails with LimitError before connecting', async () => {
    const client = new Client({ brokers: '127.0.0.1:1', namespace: 'none', commandBytesMax: 1_000 });
    const error = await client.signal('w-1', 'go', 'p'.repeat(2_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect(error).toMatchObject({ details: { limit: 'commandBytesMax', max: 1_000 } });
    await client.close();
  });

  it('a start whose input is over the default 256 KiB fails the same way', async () => {
    const client = new Client({ brokers: '127.0.0.1:1', namespace: 'none' });
    const error = await client
      .start('w', { id: 'w-1', input: 'i'.repeat(300 * 1024) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    await client.close();
  });
});
