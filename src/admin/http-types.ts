/**
 * The admin HTTP contract every route module codes against: a request as the routes see it, and the
 * response they give back. The server (admin-server.ts) owns sockets, binding and the token rule; a route
 * is a pure-ish async function of the request, which makes routes testable without a socket.
 *
 * I1. A handler returns undefined for a request that is not its own; the server tries the next handler and
 *     answers 404 when none took it.
 * I2. Bodies are bounded by the handler that builds them (paged lists, capped histories), never by the
 *     number of workflows that ever ran.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A request as an admin route sees it. */
export interface AdminRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
}

/** What an admin route answers. */
export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One admin route module: answers its own requests, undefined for the others (I1). */
export type AdminHandler = (request: AdminRequest) => Promise<AdminResponse | undefined>;

/** A JSON response. */
export function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` };
}

/** An HTML response. */
export function html(status: number, body: string): AdminResponse {
  return { status, contentType: 'text/html; charset=utf-8', body };
}
