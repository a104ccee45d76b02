/**
 * A tiny node:http server for admin route handlers in tests, until the real admin server mounts them: each
 * request becomes an AdminRequest, goes to the first handler that answers (http-types.ts I1), and 404s
 * when none does. Listens on 127.0.0.1, on a free port the OS picks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdminHandler, AdminRequest } from '../../src/admin/http-types.js';

/** A running test server. */
export interface ServedHandlers {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Serves `handlers` on 127.0.0.1 until `close()`. */
export async function serveHandlers(handlers: readonly AdminHandler[]): Promise<ServedHandlers> {
  const server: Server = createServer((req, res) => {
    const request: AdminRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', 'http://127.0.0.1'),
      headers: req.headers,
    };
    void (async () => {
      try {
        for (const handler of handlers) {
          const response = await handler(request);
          if (response === undefined) continue;
          res.writeHead(response.status, { 'content-type': response.contentType, ...response.headers });
          res.end(request.method === 'HEAD' ? undefined : response.body);
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        res.end('{"error":{"name":"NotFound","message":"no route"}}\n');
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(String(error instanceof Error ? error.stack : error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
