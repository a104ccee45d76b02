/**
 * Proves how the admin server answers a request, without a socket: handlers are tried in order and none
 * answering is 404; only GET and HEAD are served (HEAD reaches routes as GET); every route but /healthz
 * needs the token; a handler that throws answers 500 with a JSON message and is logged; a handler that
 * hangs answers 504.
 */
import { describe, expect, it } from 'vitest';
import { answer, dispatch } from '../../src/admin/admin-answer.js';
import { type AdminHandler, type AdminRequest, json } from '../../src/admin/http-types.js';

const TOKEN = 'a-long-enough-admin-token-42';

function request(method: string, path: string, headers: Record<string, string> = {}): AdminRequest {
  return { method, url: new URL(path, 'http://admin.invalid'), headers };
}

const seen: string[] = [];
const handlers: AdminHandler[] = [
  async (r) => (r.url.pathname === '/healthz' ? json(200, { status: 'ok' }) : undefined),
  async (r) => {
    seen.push(r.method);
    return r.url.pathname === '/a' ? json(200, { from: 'first' }) : undefined;
  },
  async (r) => (r.url.pathname.startsWith('/a') ? json(200, { from: 'second' }) : undefined),
  async (r) => {
    if (r.url.pathname === '/boom') throw new Error('the route broke');
    return undefined;
  },
  (r) => (r.url.pathname === '/hang' ? new Promise(() => undefined) : Promise.resolve(undefined)),
];

function deps(token: string | undefined, logs: string[] = []) {
  return {
    handlers,
    token,
    logger: { log: (_l: string, m: string) => void logs.push(m) },
    handlerTimeoutMs: 50,
  };
}

describe('route dispatch', () => {
  it.each([
    ['/a', 200, { from: 'first' }],
    ['/ab', 200, { from: 'second' }],
    ['/zzz', 404, { error: 'not found', path: '/zzz' }],
  ])('%s answers %i', async (path, status, body) => {
    const response = await dispatch(handlers, request('GET', path));
    expect(response.status).toBe(status);
    expect(JSON.parse(response.body)).toEqual(body);
  });
});

describe('answering a request', () => {
  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])(
    '%s is 405 with Allow: GET, HEAD',
    async (method) => {
      const response = await answer(request(method, '/a'), deps(undefined));
      expect(response.status).toBe(405);
      expect(response.headers?.allow).toBe('GET, HEAD');
    },
  );

  it('a HEAD reaches the routes as a GET', async () => {
    seen.length = 0;
    const response = await answer(request('HEAD', '/a'), deps(undefined));
    expect(response.status).toBe(200);
    expect(seen).toEqual(['GET']);
  });

  it('with a token, /healthz needs none and every other route does', async () => {
    expect((await answer(request('GET', '/healthz'), deps(TOKEN))).status).toBe(200);
    expect((await answer(request('GET', '/a'), deps(TOKEN))).status).toBe(401);
    expect((await answer(request('GET', '/zzz'), deps(TOKEN))).status).toBe(401);
    const authorized = { authorization: `Bearer ${TOKEN}` };
    expect((await answer(request('GET', '/a', authorized), deps(TOKEN))).status).toBe(200);
  });

  it('a handler that throws answers 500 with a JSON message, and is logged', async () => {
    const logs: string[] = [];
    const response = await answer(request('GET', '/boom'), deps(undefined, logs));
    expect(response.status).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal error', message: 'the route broke' });
    expect(logs).toEqual(['admin handler failed']);
  });

  it('a handler that hangs answers 504 after the handler timeout', async () => {
    const logs: string[] = [];
    const response = await answer(request('GET', '/hang'), deps(undefined, logs));
    expect(response.status).toBe(504);
    expect(logs).toEqual(['admin handler timed out']);
  });
});
