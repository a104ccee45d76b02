/**
 * The executor's admin HTTP server (node:http): health, readiness, Prometheus metrics, the partitions'
 * figures, then the workflow routes (src/admin/workflows), then 404. The executor starts it once its
 * consumer runs and closes it first thing in stop().
 *
 * I1. Bounded requests: a request line over URL_CHARS_MAX is 414, headers over HEADERS_BYTES_MAX (Node's
 *     parser) or HEADERS_COUNT_MAX are 431, a request with a body is 413 (GET and HEAD carry none), and a
 *     client gets REQUEST_TIMEOUT_MS to send its request. Each answer closes nothing the executor needs.
 * I2. Answers come from admin-answer.ts (method, token, dispatch, errors); nothing a request does can
 *     throw out of the request listener, so a bad request or a broken route never crashes the executor.
 * I3. `close()` stops listening, closes idle keep-alive sockets at once and any busy one after
 *     CLOSE_GRACE_MS, so an executor's stop never waits for a browser's open connection.
 * I4. Every answer says `Cache-Control: no-store`: figures are live and may be behind a token.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, errorMessage, LogbookError } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { answer } from './admin-answer.js';
import type { AdminConfig } from './admin-config.js';
import { type AdminHandler, type AdminRequest, type AdminResponse, json } from './http-types.js';

/** Longest request target (path and query) accepted (I1). */
export const URL_CHARS_MAX = 4_096;
/** Largest request head (request line and headers) Node's parser accepts (I1). */
export const HEADERS_BYTES_MAX = 16 * 1024;
/** Most request headers accepted (I1). */
export const HEADERS_COUNT_MAX = 64;
/** Longest a client may take to send its request (I1). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** How long an idle keep-alive connection stays open. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How long `close()` lets busy connections finish before it cuts them (I3). */
export const CLOSE_GRACE_MS = 1_000;

/** Where a started admin server listens. */
export interface AdminAddress {
  readonly host: string;
  readonly port: number;
  /** The base URL, e.g. http://127.0.0.1:9464 */
  readonly url: string;
}

/** Why a raw request is refused before it is parsed into an AdminRequest (I1), or undefined. */
function refusal(req: IncomingMessage): AdminResponse | undefined {
  const url = req.url ?? '/';
  if (url.length > URL_CHARS_MAX)
    return json(414, { error: 'URL too long', limitChars: URL_CHARS_MAX, chars: url.length });
  if (req.rawHeaders.length / 2 > HEADERS_COUNT_MAX)
    return json(431, { error: 'too many headers', limit: HEADERS_COUNT_MAX });
  const length = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] !== undefined || length > 0)
    return json(413, { error: 'a request body is not accepted', methods: 'GET, HEAD' });
  return undefined;
}

/** The admin HTTP server of one executor. */
export class AdminServer {
  private readonly server: Server;
  private bound: AdminAddress | undefined;

  constructor(
    private readonly config: AdminConfig,
    private readonly handlers: readonly AdminHandler[],
    private readonly logger: Logger,
  ) {
    this.server = createServer(
      {
        maxHeaderSize: HEADERS_BYTES_MAX,
        requestTimeout: REQUEST_TIMEOUT_MS,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      },
      (req, res) => void this.serve(req, res),
    );
    // Node's own count limit answers a bare 400; the count is checked in refusal() for a 431 instead, and
    // the head is still bounded by HEADERS_BYTES_MAX (I1).
    this.server.maxHeadersCount = 0;
    this.server.headersTimeout = REQUEST_TIMEOUT_MS;
  }

  /** Where it listens, once started. */
  get address(): AdminAddress | undefined {
    return this.bound;
  }

  /** Binds `host:port` (0: a free port). */
  async start(): Promise<AdminAddress> {
    const { host, port } = this.config;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException): void => {
        const inUse = error.code === 'EADDRINUSE';
        const message = inUse
          ? `the admin port ${host}:${port} is in use; pick another with --admin-port.`
          : `the admin server could not listen on ${host}:${port}: ${error.message}`;
        reject(new LogbookError(inUse ? ErrorCode.PortInUse : ErrorCode.Config, message, { cause: error }));
      };
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.server.on('error', (error) =>
      this.logger.log('error', 'admin server error', { error: errorMessage(error) }),
    );
    const address = this.server.address() as AddressInfo;
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.bound = { host: address.address, port: address.port, url: `http://${shown}:${address.port}` };
    return this.bound;
  }

  /** Stops listening and closes its connections (I3). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const cut = setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }

  /** Answers one request (I2): never throws, never rejects. */
  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: AdminResponse;
    try {
      response = refusal(req) ?? (await answer(this.request(req), this.deps()));
    } catch (error) {
      this.logger.log('error', 'admin request failed', { error: errorMessage(error) });
      response = json(500, { error: 'internal error', message: errorMessage(error) });
    }
    this.send(req, res, response);
  }

  private deps() {
    return { handlers: this.handlers, token: this.config.token, logger: this.logger };
  }

  private request(req: IncomingMessage): AdminRequest {
    const url = new URL(req.url ?? '/', 'http://admin.invalid'); // the path and query are all that count
    return { method: req.method ?? 'GET', url, headers: req.headers };
  }

  private send(req: IncomingMessage, res: ServerResponse, response: AdminResponse): void {
    if (res.headersSent || res.destroyed) return;
    const body = Buffer.from(response.body, 'utf8');
    const refused = response.status === 413 || response.status === 431 || response.status === 414;
    try {
      res.writeHead(response.status, {
        ...response.headers,
        'content-type': response.contentType,
        'content-length': String(body.length),
        'cache-control': 'no-store', // I4
        'x-content-type-options': 'nosniff',
        ...(refused ? { connection: 'close' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.log('error', 'could not send an admin answer', { error: errorMessage(error) });
      res.destroy();
    }
  }
}
