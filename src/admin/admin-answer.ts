/**
 * How the admin server answers one request, without a socket: the method rule, the token rule
 * (admin-auth.ts), route dispatch and the error rule. admin-server.ts owns the sockets and the limits
 * that need the raw request (URL length, headers, body).
 *
 * I1. GET and HEAD only; anything else is 405 with `Allow: GET, HEAD`. A HEAD is dispatched as a GET (the
 *     server sends its headers without the body), so route modules need not know HEAD.
 * I2. Every route but /healthz passes the token rule first.
 * I3. Handlers are tried in order; the first that answers wins, none answering is 404 (http-types.ts I1).
 * I4. A handler that throws, or takes longer than HANDLER_TIMEOUT_MS, answers 500 (504) with a JSON
 *     message and is logged; nothing a handler does reaches the executor's owners.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { authorize } from './admin-auth.js';
import { HEALTH_PATH } from './admin-routes.js';
import { type AdminHandler, type AdminRequest, type AdminResponse, json } from './http-types.js';

/** Longest a handler may take before the request is answered 504 (I4). */
export const HANDLER_TIMEOUT_MS = 10_000;
/** The methods the admin server serves (I1). */
export const ADMIN_METHODS = ['GET', 'HEAD'] as const;

/** What answering needs. */
export interface AnswerDeps {
  readonly handlers: readonly AdminHandler[];
  readonly token: string | undefined;
  readonly logger: Logger;
  readonly handlerTimeoutMs?: number;
}

/** Tries the handlers in order (I3). */
export async function dispatch(
  handlers: readonly AdminHandler[],
  request: AdminRequest,
): Promise<AdminResponse> {
  for (const handler of handlers) {
    const response = await handler(request);
    if (response !== undefined) return response;
  }
  return json(404, { error: 'not found', path: request.url.pathname });
}

/** Resolves with undefined after `ms`; the timer is cleared by `cancel`. */
function timeout(ms: number): { promise: Promise<undefined>; cancel: () => void } {
  let handle: NodeJS.Timeout | undefined;
  const promise = new Promise<undefined>((resolve) => {
    handle = setTimeout(() => resolve(undefined), ms);
  });
  return { promise, cancel: () => clearTimeout(handle) };
}

/** Answers one request (I1–I4). */
export async function answer(request: AdminRequest, deps: AnswerDeps): Promise<AdminResponse> {
  if (!(ADMIN_METHODS as readonly string[]).includes(request.method)) {
    const response = json(405, { error: 'method not allowed', allowed: ADMIN_METHODS });
    return { ...response, headers: { allow: ADMIN_METHODS.join(', ') } }; // I1
  }
  const asGet = { ...request, method: 'GET' };
  if (request.url.pathname !== HEALTH_PATH) {
    const verdict = authorize(asGet, deps.token); // I2
    if (!verdict.ok) return verdict.response;
  }
  const limit = timeout(deps.handlerTimeoutMs ?? HANDLER_TIMEOUT_MS);
  try {
    const response = await Promise.race([dispatch(deps.handlers, asGet), limit.promise]);
    if (response !== undefined) return response;
    deps.logger.log('error', 'admin handler timed out', { path: request.url.pathname });
    return json(504, { error: 'handler timed out', path: request.url.pathname }); // I4
  } catch (error) {
    deps.logger.log('error', 'admin handler failed', {
      path: request.url.pathname,
      error: errorMessage(error),
    });
    return json(500, { error: 'internal error', message: errorMessage(error) }); // I4
  } finally {
    limit.cancel();
  }
}
