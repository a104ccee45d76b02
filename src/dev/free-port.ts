/**
 * Port helpers for the local broker: pick free ports, and tell whether one is taken.
 *
 * I1. A free port is found by binding port 0 on 127.0.0.1 and reading what the kernel chose; there is a
 *     small window before the broker binds it, which is acceptable for dev and tests.
 * I2. Ports asked for together are distinct: each stays bound until all are chosen, so the kernel cannot
 *     hand one out twice, and none equals a port the caller gave. (Chosen one at a time, a broker once got
 *     the same port for its listener and its controller, and Kafka refused to start.)
 */
import { createConnection, createServer, type Server } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (I1). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts([undefined]);
  if (port === undefined) throw new Error('no port assigned');
  return port;
}

/** `wanted` with every undefined replaced by a free port; every port of the answer is distinct (I1, I2). */
export async function freePorts(wanted: readonly (number | undefined)[]): Promise<number[]> {
  const taken = new Set(wanted.filter((p): p is number => p !== undefined));
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (const given of wanted) {
      let port = given;
      while (port === undefined) {
        const server = await bound();
        held.push(server);
        const candidate = portOf(server);
        if (!taken.has(candidate)) port = candidate;
      }
      taken.add(port);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

function bound(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null || address.port <= 0)
    throw new Error('no port assigned');
  return address.port;
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
