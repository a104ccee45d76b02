/**
 * Free ports for the local broker (src/dev/free-port.ts): ports asked for together are distinct, and none
 * is a port the caller gave (I2) — a broker's listener and controller once got the same one.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts, isPortOpen } from '../../src/dev/index.js';

describe('free ports', () => {
  it('ports asked for together are distinct, and free once answered', async () => {
    const ports = await freePorts(Array.from({ length: 800 }, () => undefined));
    expect(ports).toHaveLength(800);
    expect(new Set(ports).size).toBe(800);
    for (const port of ports.slice(0, 5)) expect(await isPortOpen(port)).toBe(false);
  });

  it('keeps the ports the caller gave where they were, and picks none of them', async () => {
    const given = await freePort();
    const ports = await freePorts([given, undefined, undefined]);
    expect(ports[0]).toBe(given);
    expect(new Set(ports).size).toBe(3);
  });

  it('a port it answers can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
