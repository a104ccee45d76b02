/**
 * Runs the local-broker manager the way a user does — `logbook dev` as a child process — and proves it
 * starts a broker that answers clients, that a second `logbook dev` on the same port reports the running
 * broker instead of failing, and that Ctrl-C stops it with no process and no open port left behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, isPortOpen } from '../../src/dev/index.js';
import { probeCluster } from '../../src/kafka/index.js';
import { waitFor } from '../support/wait-for.js';

const cliArgs = ['--import', 'tsx', 'src/cli/main.ts'];

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...cliArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { child, output: () => text };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('logbook dev', () => {
  it('starts a broker that answers, tells a second run it is already running, and stops clean on Ctrl-C', async () => {
    const port = await freePort();
    const dev = runCli(['dev', '--port', String(port)]);
    try {
      const ready = await waitFor(
        () => /ready at (127\.0\.0\.1:\d+) in ([\d.]+) s \(pid (\d+)/.exec(dev.output()) ?? false,
        {
          timeoutMs: 90_000,
          message: 'logbook dev never reported ready',
        },
      );
      expect(ready[1]).toBe(`127.0.0.1:${port}`);
      const brokerPid = Number(ready[3]);
      expect(isAlive(brokerPid)).toBe(true);
      const info = await probeCluster([`127.0.0.1:${port}`], 'dev-answers');
      expect(info.brokerCount).toBe(1);

      const second = runCli(['dev', '--port', String(port)]);
      const [secondCode] = (await once(second.child, 'exit')) as [number | null];
      expect(secondCode).toBe(0);
      expect(second.output()).toContain(`Kafka is already running at 127.0.0.1:${port}`);

      dev.child.kill('SIGINT');
      const [code] = (await once(dev.child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(dev.output()).toContain('Kafka stopped.');
      expect(isAlive(brokerPid)).toBe(false);
      expect(await isPortOpen(port)).toBe(false);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    }
  });

  it('rejects a bad port with one sentence and exit code 2, not a stack trace', async () => {
    const run = runCli(['dev', '--port', 'ninety']);
    const [code] = (await once(run.child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(run.output().trim()).toBe('logbook: --port must be a port number from 1 to 65535, not "ninety".');
  });

  it('tells a user without Java what to install, in one sentence, instead of a stack trace', async () => {
    const noJava = await mkdtemp(join(tmpdir(), 'logbook-no-java-'));
    const port = await freePort();
    const run = runCli(['dev', '--port', String(port)], { ...process.env, PATH: noJava, JAVA_HOME: '' });
    const [code] = (await once(run.child, 'exit')) as [number | null];
    expect(code).toBe(1);
    const output = run.output().trim();
    expect(output).toMatch(
      /^logbook: The local Kafka broker needs Java 17 or newer on PATH: install a JDK 17\+/,
    );
    expect(output).toContain('or set LOGBOOK_BROKERS to an existing Kafka cluster.');
    expect(output.split('\n')).toHaveLength(1);
  });
});
