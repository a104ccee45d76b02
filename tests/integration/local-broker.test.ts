/**
 * Runs the local-broker manager the way a user does — `logbook dev` as a child process — and proves it
 * starts a broker that answers clients, that a second `logbook dev` on the same port reports the running
 * broker instead of failing, that Ctrl-C stops it with no process and no open port left behind, and that a
 * second run on the same `--data-dir` starts on the first run's data and cluster id. Then drives
 * `startLocalBroker` directly: `kill()` (SIGKILL, SIGTERM) and `restart()` bring the broker back on its own
 * ports and data, and the exit hook follows the restarted process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, isPortOpen, startLocalBroker } from '../../src/dev/index.js';
import { createKafka, probeCluster } from '../../src/kafka/index.js';
import { consumeUntil } from '../support/consume.js';
import { uniqueNamespace } from '../support/kafka.js';
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

/** True while `pid` runs; a zombie (exited, not reaped by its new parent) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const READY_LINE = /ready at (127\.0\.0\.1:\d+) in ([\d.]+) s \(pid (\d+)/;
const READY_TIMEOUT_MS = 90_000;
const SESSION_TIMEOUT_MS = 3_000;

async function waitReady(dev: ReturnType<typeof runCli>): Promise<RegExpExecArray> {
  try {
    return await waitFor(() => READY_LINE.exec(dev.output()) ?? false, { timeoutMs: READY_TIMEOUT_MS });
  } catch {
    throw new Error(`logbook dev never reported ready:\n${dev.output()}`);
  }
}

/** Ctrl-C for a `logbook dev` still running (its broker stops with it); resolves with the exit code. */
async function interrupt(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGINT');
  const [code] = await exited;
  return code;
}

/** Creates `topic` and writes one record with value `value`, acknowledged by the broker. */
async function produceOne(bootstrap: string, topic: string, value: string): Promise<void> {
  const kafka = createKafka({ brokers: [bootstrap], clientId: 'test-local-broker' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
  } finally {
    await producer.disconnect();
  }
}

/** The values of `topic`, read from the beginning once at least one record has arrived. */
async function readValues(bootstrap: string, topic: string): Promise<string[]> {
  const records = await consumeUntil({ brokers: [bootstrap], topic, until: (seen) => seen.length > 0 });
  return records.map((record) => record.value);
}

describe('logbook dev', () => {
  it('starts a broker that answers, tells a second run it is already running, and stops clean on Ctrl-C', async () => {
    const port = await freePort();
    const dev = runCli(['dev', '--port', String(port)]);
    try {
      const ready = await waitReady(dev);
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
      await interrupt(dev.child);
    }
  });

  it('keeps --data-dir across runs: a second run starts on the first run’s storage and cluster id', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'logbook-dev-data-'));
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    const topic = uniqueNamespace('dev-data');
    const args = ['dev', '--port', String(port), '--data-dir', dataDir];
    let dev = runCli(args);
    try {
      await waitReady(dev);
      const first = await probeCluster([bootstrap]);
      expect(dev.output()).toContain(`Cluster ${first.clusterId}: new storage in ${dataDir}.`);
      await produceOne(bootstrap, topic, 'kept across runs');
      expect(await interrupt(dev.child)).toBe(0);
      expect(await isPortOpen(port)).toBe(false);

      dev = runCli(args);
      await waitReady(dev);
      expect(dev.output()).toContain(`Cluster ${first.clusterId}: the data of an earlier run in ${dataDir}.`);
      expect((await probeCluster([bootstrap])).clusterId).toBe(first.clusterId);
      expect(await readValues(bootstrap, topic)).toEqual(['kept across runs']);
      expect(await interrupt(dev.child)).toBe(0);
      expect(dev.output()).toContain('Kafka stopped.');
    } finally {
      await interrupt(dev.child);
      await rm(dataDir, { recursive: true, force: true });
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
    await rm(noJava, { recursive: true, force: true });
    expect(code).toBe(1);
    const output = run.output().trim();
    expect(output).toMatch(
      /^logbook: The local Kafka broker needs Java 17 or newer on PATH: install a JDK 17\+/,
    );
    expect(output).toContain('or set LOGBOOK_BROKERS to an existing Kafka cluster.');
    expect(output.split('\n')).toHaveLength(1);
  });
});

describe('startLocalBroker', () => {
  it('kill() and restart() bring the broker back on its ports and data after SIGKILL and SIGTERM; stop() still cleans up', async () => {
    // Kafka's 9 s session would hold the restart after SIGKILL until the dead broker's registration expires.
    const broker = await startLocalBroker({ brokerSessionTimeoutMs: SESSION_TIMEOUT_MS });
    try {
      const topic = uniqueNamespace('restart');
      await produceOne(broker.bootstrap, topic, 'survives restarts');
      const { clusterId } = await probeCluster([broker.bootstrap]);
      expect(clusterId).toBe(broker.clusterId);

      const killedPid = broker.pid;
      await broker.kill('SIGKILL');
      expect(isAlive(killedPid)).toBe(false);
      expect(await isPortOpen(broker.port)).toBe(false);
      await broker.restart();
      expect(broker.pid).not.toBe(killedPid);
      expect(await readValues(broker.bootstrap, topic)).toEqual(['survives restarts']);
      expect((await probeCluster([broker.bootstrap])).clusterId).toBe(clusterId);

      const terminatedPid = broker.pid;
      await broker.kill('SIGTERM');
      expect(isAlive(terminatedPid)).toBe(false);
      expect(await isPortOpen(broker.port)).toBe(false);
      expect(existsSync(broker.runDir)).toBe(true);
      await broker.restart();
      expect(await readValues(broker.bootstrap, topic)).toEqual(['survives restarts']);

      const lastPid = broker.pid;
      await broker.stop();
      expect(isAlive(lastPid)).toBe(false);
      expect(await isPortOpen(broker.port)).toBe(false);
      expect(existsSync(broker.runDir)).toBe(false);
      await expect(broker.restart()).rejects.toThrow(/stopped/);
    } finally {
      await broker.stop();
    }
  });

  it('after restart(), a Node process that exits without stop() takes the restarted broker with it', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'logbook-exit-hook-'));
    const script = [
      `const { startLocalBroker } = await import(${JSON.stringify(join(process.cwd(), 'src/dev/index.ts'))});`,
      "process.once('SIGTERM', () => process.exit(1));", // so a failing test's clean-up runs the hook too
      'const broker = await startLocalBroker({ runDir: process.env.RUN_DIR });',
      'const firstPid = broker.pid;',
      'await broker.restart();',
      "console.log('pids', firstPid, broker.pid, 'port', broker.port);",
      'process.exit(0);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RUN_DIR: runDir },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      const match = /pids (\d+) (\d+) port (\d+)/.exec(output);
      expect(match).not.toBeNull();
      const [firstPid, restartedPid, port] = (match ?? []).slice(1).map(Number) as [number, number, number];
      expect(restartedPid).not.toBe(firstPid);
      expect(isAlive(firstPid)).toBe(false);
      await waitFor(() => !isAlive(restartedPid), {
        timeoutMs: 5_000,
        message: 'the restarted broker outlived Node',
      });
      await waitFor(async () => !(await isPortOpen(port)), {
        timeoutMs: 5_000,
        message: 'the port stayed open',
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await rm(runDir, { recursive: true, force: true });
    }
  });
});
