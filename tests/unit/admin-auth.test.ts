/**
 * Proves the admin token rule without a socket: which hosts count as loopback, that a non-loopback host
 * without a token is refused before anything binds, and that a request passes only with the right token
 * (Bearer header or cookie), while a matching `?token=` sets the cookie and redirects without it.
 */
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN_COOKIE,
  authorize,
  bearerToken,
  cookieValue,
  tokenMatches,
} from '../../src/admin/admin-auth.js';
import { isLoopbackHost, resolveAdminOptions } from '../../src/admin/admin-config.js';
import type { AdminRequest } from '../../src/admin/http-types.js';
import { ConfigError } from '../../src/errors.js';

const TOKEN = 'a-long-enough-admin-token-42';

function request(path: string, headers: Record<string, string> = {}): AdminRequest {
  return { method: 'GET', url: new URL(path, 'http://admin.invalid'), headers };
}

describe('the admin config', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.5.6.7', true],
    ['localhost', true],
    ['::1', true],
    ['0.0.0.0', false],
    ['10.0.0.8', false],
    ['::', false],
    ['example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('a non-loopback host without a token refuses to start, with or without LOGBOOK_ADMIN_TOKEN unset', () => {
    expect(() => resolveAdminOptions({ adminPort: 0, adminHost: '0.0.0.0' }, {})).toThrow(ConfigError);
    expect(() => resolveAdminOptions({ adminPort: 0, adminHost: '0.0.0.0' }, {})).toThrow(/token/);
    expect(
      resolveAdminOptions({ adminPort: 0, adminHost: '0.0.0.0' }, { LOGBOOK_ADMIN_TOKEN: TOKEN }),
    ).toEqual({
      port: 0,
      host: '0.0.0.0',
      token: TOKEN,
    });
  });

  it('defaults to loopback without a token, and takes no server without a port', () => {
    expect(resolveAdminOptions({ adminPort: 9464 }, {})).toEqual({
      port: 9464,
      host: '127.0.0.1',
      token: undefined,
    });
    expect(resolveAdminOptions({}, { LOGBOOK_ADMIN_TOKEN: TOKEN })).toBeUndefined();
  });

  it.each([
    [{ adminPort: -1 }, /port/],
    [{ adminPort: 70_000 }, /port/],
    [{ adminPort: 0, adminToken: 'short' }, /16 to 512/],
    [{ adminPort: 0, adminToken: 'has a space in it, too long' }, /letters, digits/],
    [{ adminPort: 0, adminToken: `${TOKEN};x=1` }, /letters, digits/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveAdminOptions(options, {})).toThrow(message);
  });
});

describe('the token rule', () => {
  it('compares tokens in constant time, any length', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);
  });

  it('reads bearer tokens and cookies', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`Basic ${TOKEN}`)).toBeUndefined();
    expect(cookieValue(`a=1; ${ADMIN_TOKEN_COOKIE}=${TOKEN}; b=2`, ADMIN_TOKEN_COOKIE)).toBe(TOKEN);
    expect(cookieValue('a=1', ADMIN_TOKEN_COOKIE)).toBeUndefined();
  });

  it.each([
    ['no token configured', undefined, {}, 'ok'],
    ['no credentials', TOKEN, {}, 401],
    ['a wrong bearer token', TOKEN, { authorization: 'Bearer wrong-token-0000000000' }, 401],
    ['a non-bearer Authorization', TOKEN, { authorization: `Basic ${TOKEN}` }, 401],
    ['the bearer token', TOKEN, { authorization: `Bearer ${TOKEN}` }, 'ok'],
    ['the cookie', TOKEN, { cookie: `${ADMIN_TOKEN_COOKIE}=${TOKEN}` }, 'ok'],
    ['a wrong cookie', TOKEN, { cookie: `${ADMIN_TOKEN_COOKIE}=nope` }, 401],
  ] as const)('%s: %s', (_name, token, headers, expected) => {
    const verdict = authorize(request('/metrics', headers), token);
    if (expected === 'ok') expect(verdict.ok).toBe(true);
    else {
      expect(verdict.ok).toBe(false);
      if (verdict.ok) return;
      expect(verdict.response.status).toBe(expected);
      expect(JSON.parse(verdict.response.body)).toMatchObject({ error: 'unauthorized' });
      expect(verdict.response.body).not.toContain(TOKEN);
    }
  });

  it('a matching ?token= sets an HttpOnly SameSite=Strict cookie and redirects to the URL without it', () => {
    const verdict = authorize(request(`/workflows?status=failed&token=${TOKEN}&limit=5`), TOKEN);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.response.status).toBe(303);
    expect(verdict.response.headers?.location).toBe('/workflows?status=failed&limit=5');
    expect(verdict.response.headers?.['set-cookie']).toBe(
      `${ADMIN_TOKEN_COOKIE}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`,
    );
  });

  it('a wrong ?token= is a 401 and sets no cookie', () => {
    const verdict = authorize(request('/workflows?token=wrong'), TOKEN);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.response.status).toBe(401);
    expect(verdict.response.headers?.['set-cookie']).toBeUndefined();
  });
});
