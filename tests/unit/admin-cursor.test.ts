/**
 * Proves the list cursor and query parameters of the workflow routes (cursor.ts I1, I2; params.ts I1): a
 * cursor round-trips any partition and id (UTF-8, NUL, quotes) as an opaque URL-safe string; anything else
 * — tampered, another version, not base64url, too long — is an AdminRequestError, never a scan from the
 * start; limits default, clamp to their named maximum and refuse non-integers; ids in paths decode any
 * UTF-8 and '/' and refuse broken percent-encoding.
 */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/admin/workflows/cursor.js';
import { AdminRequestError } from '../../src/admin/workflows/errors.js';
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from '../../src/admin/workflows/limits.js';
import { historyRequest, idFromPath, listRequest } from '../../src/admin/workflows/params.js';

describe('list cursor', () => {
  it.each([
    { partition: 0, afterId: null },
    { partition: 7, afterId: 'order-1' },
    { partition: 4_294_967_295, afterId: 'a/b\0"<script>" 🚀 é' },
    { partition: 1, afterId: '' },
  ])('round-trips partition $partition and id $afterId as an opaque URL-safe string', (cursor) => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  it.each([
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('{nope').toString('base64url')],
    ['another version', b64({ v: 2, p: 0, a: 'x' })],
    ['a negative partition', b64({ v: 1, p: -1, a: 'x' })],
    ['a fractional partition', b64({ v: 1, p: 1.5, a: 'x' })],
    ['an id that is not a string', b64({ v: 1, p: 0, a: 5 })],
    ['a JSON array', b64([1, 0, 'x'])],
    ['too long', 'a'.repeat(5_000)],
  ])('refuses a cursor that is %s', (_what, text) => {
    expect(() => decodeCursor(text)).toThrow(AdminRequestError);
  });
});

describe('query parameters', () => {
  const q = (query: string) => new URLSearchParams(query);

  it('defaults the list limit, clamps it to LIST_LIMIT_MAX and refuses non-integers', () => {
    expect(listRequest(q('')).limit).toBe(LIST_LIMIT_DEFAULT);
    expect(listRequest(q('limit=7')).limit).toBe(7);
    expect(listRequest(q(`limit=${LIST_LIMIT_MAX + 1000}`)).limit).toBe(LIST_LIMIT_MAX);
    for (const bad of ['0', '-1', '1.5', 'x', '99999999999'])
      expect(() => listRequest(q(`limit=${bad}`))).toThrow(AdminRequestError);
  });

  it('reads status and workflow filters, refusing an unknown status', () => {
    expect(listRequest(q('status=failed&workflow=trip'))).toMatchObject({
      status: 'failed',
      workflow: 'trip',
    });
    expect(listRequest(q('status=&workflow='))).toMatchObject({ status: null, workflow: null });
    expect(() => listRequest(q('status=done'))).toThrow(AdminRequestError);
  });

  it('reads the history page from seq 1 by default', () => {
    expect(historyRequest(q(''))).toEqual({ fromSeq: 1, limit: 200 });
    expect(historyRequest(q('from=12&limit=3'))).toEqual({ fromSeq: 12, limit: 3 });
    expect(() => historyRequest(q('from=0'))).toThrow(AdminRequestError);
  });

  it('decodes any UTF-8 id from a path, "/" included, and refuses broken percent-encoding', () => {
    const id = 'a/b c<é>🚀';
    expect(idFromPath(`/api/workflows/${encodeURIComponent(id)}`, '/api/workflows/')).toBe(id);
    expect(idFromPath('/api/workflows/', '/api/workflows/')).toBeUndefined();
    expect(idFromPath('/other', '/api/workflows/')).toBeUndefined();
    expect(() => idFromPath('/api/workflows/%E0%A4%A', '/api/workflows/')).toThrow(AdminRequestError);
  });
});
