/**
 * The request-lookup patch (src/kafka/request-lookup-patch.ts): once KafkaJS is patched, building a
 * request through KafkaJS's own `protocol/requests/<api>/index.js` resolves no module again, and builds
 * the same request, with the same response decoder, that the version's own modules build.
 */
import Module from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kafkajsModule } from '../../src/kafka/kafkajs-internals.js';
import { patchKafkaJs } from '../../src/kafka/kafkajs-patches.js';
import { patchRequestLookup, requestLookupModules } from '../../src/kafka/request-lookup-patch.js';

interface Built {
  readonly request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
  readonly response: unknown;
}
interface Definitions {
  protocol(v: { version: number }): (args: Record<string, unknown>) => Built;
}

const endTxnArgs = {
  transactionalId: 'logbook.p3',
  producerId: 42,
  producerEpoch: 7,
  transactionResult: true,
};
const loader = Module as unknown as { _load(...args: unknown[]): unknown };

afterEach(() => vi.restoreAllMocks());

describe('KafkaJS request lookup patch', () => {
  it('covers every api module KafkaJS loads, those of the hot path among them', () => {
    expect(patchKafkaJs()).toBe(true);
    const apis = [...requestLookupModules().keys()];
    expect(apis).toEqual(
      expect.arrayContaining(['produce', 'fetch', 'endTxn', 'addPartitionsToTxn', 'heartbeat']),
    );
    expect(apis.length).toBeGreaterThan(30);
    for (const [api, mod] of requestLookupModules())
      expect(Object.hasOwn(mod, 'require'), `${api}/index.js has its own require`).toBe(true);
  });

  it('a repeated lookup resolves no module again', () => {
    patchKafkaJs();
    const endTxn = kafkajsModule<Definitions>('protocol/requests/endTxn/index.js');
    endTxn.protocol({ version: 1 })(endTxnArgs); // the first lookup may load
    const load = vi.spyOn(loader, '_load');
    for (let i = 0; i < 100; i++) endTxn.protocol({ version: 1 })(endTxnArgs);
    expect(load).not.toHaveBeenCalled();
  });

  it('builds the request and answers with the decoder that the version’s own modules give', async () => {
    patchKafkaJs();
    const looked = kafkajsModule<Definitions>('protocol/requests/endTxn/index.js').protocol({ version: 1 })(
      endTxnArgs,
    );
    const request = kafkajsModule<(a: typeof endTxnArgs) => Built['request']>(
      'protocol/requests/endTxn/v1/request.js',
    );
    const direct = request(endTxnArgs);
    expect(looked.request.apiVersion).toBe(1);
    expect([looked.request.apiKey, looked.request.apiVersion]).toEqual([direct.apiKey, direct.apiVersion]);
    expect((await looked.request.encode()).buffer).toEqual((await direct.encode()).buffer);
    expect(looked.response).toBe(kafkajsModule('protocol/requests/endTxn/v1/response.js'));
    const v0 = kafkajsModule<Definitions>('protocol/requests/endTxn/index.js').protocol({ version: 0 })(
      endTxnArgs,
    );
    expect(v0.request.apiVersion).toBe(0);
    expect(v0.response).toBe(kafkajsModule('protocol/requests/endTxn/v0/response.js'));
  });

  // last: it wraps every api module's require once more, for the rest of this file
  it('gives what a wrap puts in place of a loaded module, made once for each path', () => {
    patchKafkaJs();
    const wrapped: string[] = [];
    patchRequestLookup((api, id, loaded) => {
      if (api !== 'heartbeat') return loaded;
      wrapped.push(id);
      if (!id.endsWith('/request')) return loaded;
      const build = loaded as (args: object) => object;
      return (args: object) => ({ ...build(args), wrappedBy: 'test' });
    });
    const heartbeat = kafkajsModule<{
      protocol(v: { version: number }): (a: object) => { request: { wrappedBy?: string } };
    }>('protocol/requests/heartbeat/index.js');
    const args = { groupId: 'g', groupGenerationId: 1, memberId: 'm' };
    for (let i = 0; i < 3; i++)
      expect(heartbeat.protocol({ version: 1 })(args).request.wrappedBy).toBe('test');
    expect(wrapped).toEqual(['./v1/request', './v1/response']);
  });
});
