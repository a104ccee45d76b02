/**
 * The admin token rule (admin-config.ts I1), as a pure function of a request: the server asks it before
 * any route but /healthz runs.
 *
 * I1. Constant time: tokens are compared as SHA-256 digests with timingSafeEqual, so neither the content
 *     nor the length of a wrong token shows in how long the answer takes.
 * I2. The token is accepted from `Authorization: Bearer <token>` or from the cookie `logbook_admin_token`.
 *     A GET that carries a matching `?token=` gets the cookie (HttpOnly, SameSite=Strict) and a redirect to
 *     the same URL without it, so a browser can open the web pages once and the token leaves the address
 *     bar and the history. A wrong `?token=` is a 401 like any wrong token.
 * I3. A 401 says why in JSON, never what the token is.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type AdminRequest, type AdminResponse, json } from './http-types.js';

/** The cookie that carries the token for browsers (I2). Never rename it: open browsers hold it. */
export const ADMIN_TOKEN_COOKIE = 'logbook_admin_token';
/** The query parameter that hands a browser the cookie (I2). */
export const ADMIN_TOKEN_QUERY = 'token';

/** What the token rule says of a request: go on, or answer this instead. */
export type AuthVerdict = { readonly ok: true } | { readonly ok: false; readonly response: AdminResponse };

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when `given` is `token`, in constant time (I1). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** The bearer token of an Authorization header, if it is one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function unauthorized(reason: string): AuthVerdict {
  const response = json(401, { error: 'unauthorized', reason });
  return { ok: false, response: { ...response, headers: { 'www-authenticate': 'Bearer realm="logbook"' } } };
}

/** Applies the token rule to `request` (I2); `token` undefined means no token is required. */
export function authorize(request: AdminRequest, token: string | undefined): AuthVerdict {
  if (token === undefined) return { ok: true };
  const query = request.url.searchParams.get(ADMIN_TOKEN_QUERY) ?? undefined;
  if (query !== undefined) {
    if (!tokenMatches(query, token)) return unauthorized(`the ${ADMIN_TOKEN_QUERY} query does not match`);
    const clean = new URL(request.url.href);
    clean.searchParams.delete(ADMIN_TOKEN_QUERY);
    const location = `${clean.pathname}${clean.search}`;
    const cookie = `${ADMIN_TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    const response = { status: 303, contentType: 'text/plain; charset=utf-8', body: '' };
    return { ok: false, response: { ...response, headers: { location, 'set-cookie': cookie } } };
  }
  const header = request.headers.authorization;
  const bearer = bearerToken(header);
  if (header !== undefined && bearer === undefined)
    return unauthorized('the Authorization header is not "Bearer <token>"');
  const given = bearer ?? cookieValue(request.headers.cookie, ADMIN_TOKEN_COOKIE);
  if (given === undefined)
    return unauthorized('a token is required: Authorization: Bearer <token>, or open ?token=<token> once');
  if (!tokenMatches(given, token)) return unauthorized('the token does not match'); // I1, I3
  return { ok: true };
}
