/**
 * Port helpers for the local broker: pick free ports, and tell whether one is taken.
 *
 * I1. A free port is found by binding port 0 on 127.0.0.1 and reading what the kernel chose; there is a
 *     small window before the broker binds it, which is acceptable for dev and tests.
 */
import { createConnection, createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (I1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function isPortOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
