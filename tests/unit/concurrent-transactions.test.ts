/**
 * Proves the CONCURRENT_TRANSACTIONS retry retries exactly that error, within its bound, and lets every
 * other error through at once (the real-broker behaviour is proven in tests/integration/kafka-transactions).
 */
import { describe, expect, it } from 'vitest';
import { retryConcurrentTransactions } from '../../src/kafka/concurrent-transactions.js';

const concurrent = Object.assign(new Error('concurrent'), { type: 'CONCURRENT_TRANSACTIONS' });
const options = { attemptsMax: 4, firstBackoffMs: 0, backoffMaxMs: 0 };

function failing(errors: unknown[]): { calls: () => number; run: () => Promise<string> } {
  let calls = 0;
  return {
    calls: () => calls,
    run: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'ok';
    },
  };
}

describe('retryConcurrentTransactions', () => {
  it('retries CONCURRENT_TRANSACTIONS until the operation succeeds', async () => {
    const op = failing([concurrent, concurrent]);
    await expect(retryConcurrentTransactions(op.run, options)).resolves.toBe('ok');
    expect(op.calls()).toBe(3);
  });

  it('gives up after attemptsMax and rethrows the last error', async () => {
    const op = failing([concurrent, concurrent, concurrent, concurrent, concurrent]);
    await expect(retryConcurrentTransactions(op.run, options)).rejects.toBe(concurrent);
    expect(op.calls()).toBe(4);
  });

  it('does not retry any other error', async () => {
    const fenced = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
    const op = failing([fenced]);
    await expect(retryConcurrentTransactions(op.run, options)).rejects.toBe(fenced);
    expect(op.calls()).toBe(1);
  });
});
