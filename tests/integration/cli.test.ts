/**
 * Uses Logbook the way README's "Command line" and "Commands from any producer" sections tell a user to:
 * `logbook worker` as a child process, `logbook start | signal | cancel | status` as one process each,
 * and README's own kcat lines, byte for byte, from a plain Kafka producer. Proves that each client command
 * prints one JSON object, that `start --wait` prints the result (also for an idempotent re-start of an id
 * that already ended), that bad usage is one sentence and exit code 2, and that SIGTERM stops a worker
 * with exit code 0.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, it } from 'vitest';
import { createKafka } from '../../src/kafka/index.js';
import { consumeUntil } from '../support/consume.js';
import { Engine, tempDir } from '../support/engine.js';
import { testBrokers, uniqueNamespace } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

const FIXTURE = 'tests/fixtures/workflows/approval.ts';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** One finished `logbook …` process. */
interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `logbook <args>` as a user does (through tsx, from the repository root) and waits for it to exit. */
async function logbook(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** `logbook <args> --brokers … --namespace <namespace>`. */
function clientOf(namespace: string): (...args: string[]) => Promise<Run> {
  const brokers = testBrokers().join(',');
  return (...args) => logbook(...args, '--brokers', brokers, '--namespace', namespace);
}

/** The one JSON object a client command printed on stdout. */
function printed(run: Run): Record<string, unknown> {
  const lines = run.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(lines[0] ?? '') as Record<string, unknown>;
}

/** The `{"worker": state, …}` line a worker printed, if it did. */
function workerLine(output: string, state: string): Record<string, unknown> | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{"worker":')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.worker === state) return parsed;
  }
  return undefined;
}

/** Starts `logbook worker` for the fixture module and waits for its `started` line. */
async function startWorker(engine: Engine, partitions: number) {
  const worker = engine.worker(FIXTURE, ['--state-dir', tempDir('cli'), '--partitions', String(partitions)]);
  const started = await waitFor(
    () => {
      if (worker.child.exitCode !== null) throw new Error(`logbook worker exited ${worker.child.exitCode}`);
      return workerLine(worker.output(), 'started');
    },
    {
      timeoutMs: 60_000,
      message: 'logbook worker never printed {"worker":"started"}',
    },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; its output:\n${worker.output()}`);
  });
  return { worker, started };
}

/** README's `echo 'key|value' | kcat -P -b … -t <topic> -K'|'` lines under "Commands from any producer". */
function readmeKcatLines(): { key: string; value: string; topic: string }[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('## Commands from any producer');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const pattern = /^echo '([^'|]+)\|([^']*)'\s*\| kcat -P -b \S+ -t (\S+) -K'\|'$/gm;
  return [...section.matchAll(pattern)].map((m) => ({
    key: m[1] ?? '',
    value: m[2] ?? '',
    topic: m[3] ?? '',
  }));
}

describe.concurrent('logbook command line', () => {
  it('runs workflows a worker loads, started, signalled and cancelled from the CLI; SIGTERM exits 0', async ({
    expect,
  }) => {
    const engine = new Engine(uniqueNamespace('cli'));
    const cli = clientOf(engine.namespace);
    try {
      const { worker, started } = await startWorker(engine, 2);
      expect(started).toMatchObject({ worker: 'started', namespace: engine.namespace });
      expect(started.workflows).toEqual(expect.arrayContaining(['approval', 'quick']));

      const [quick, approval, toCancel] = await Promise.all([
        cli('start', 'quick', '--id', 'q-1', '--input', '{"n":21}', '--wait', '--traceparent', TRACEPARENT),
        cli('start', 'approval', '--id', 'a-1', '--input', '{}'),
        cli('start', 'approval', '--id', 'c-1', '--input', '{}'),
      ]);
      expect(quick.code).toBe(0);
      expect(printed(quick)).toEqual({
        id: 'q-1',
        workflow: 'quick',
        status: 'completed',
        result: { n: 42 },
      });
      const qStart = (await engine.journal()).find((r) => r.workflowId === 'q-1')?.body;
      expect(qStart?.kind === 'WorkflowStarted' ? qStart.trace?.traceparent : null).toBe(TRACEPARENT);
      expect(approval.code).toBe(0);
      expect(printed(approval)).toEqual({ id: 'a-1', workflow: 'approval', started: true });
      expect(toCancel.code).toBe(0);

      // Both commands are keyed by id, so the owner applies the start before it answers the status query.
      const running = await cli('status', 'a-1');
      expect(running.code).toBe(0);
      expect(printed(running)).toMatchObject({
        type: 'WorkflowStatus',
        id: 'a-1',
        workflow: 'approval',
        status: 'running',
      });

      const [signal, cancel] = await Promise.all([
        cli('signal', 'a-1', 'approve', '--payload', '{"by":"ops"}'),
        cli('cancel', 'c-1'),
      ]);
      expect(signal.code).toBe(0);
      expect(printed(signal)).toEqual({ id: 'a-1', signal: 'approve', sent: true });
      expect(cancel.code).toBe(0);
      expect(printed(cancel)).toMatchObject({ id: 'c-1', cancel: true });

      const [again, cancelled] = await Promise.all([
        cli('start', 'approval', '--id', 'a-1', '--wait'), // idempotent on id: the first run's result
        waitFor(
          async () => {
            const status = printed(await cli('status', 'c-1'));
            return status.status === 'cancelled' ? status : false;
          },
          { timeoutMs: 20_000, message: 'c-1 never showed status cancelled' },
        ),
      ]);
      expect(again.code).toBe(0);
      expect(printed(again)).toEqual({
        id: 'a-1',
        workflow: 'approval',
        status: 'completed',
        result: { approved: { by: 'ops' } },
      });
      expect(cancelled).toMatchObject({ id: 'c-1', workflow: 'approval', status: 'cancelled' });

      // --wait on a workflow that did not complete still prints one JSON object, and exits 1.
      const waitCancelled = await cli('start', 'approval', '--id', 'c-1', '--wait');
      expect(waitCancelled.code).toBe(1);
      expect(printed(waitCancelled)).toMatchObject({ id: 'c-1', status: 'cancelled' });
      expect(waitCancelled.stderr.trim().split('\n')).toHaveLength(1);

      worker.child.kill('SIGTERM');
      const [code] = (await once(worker.child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(workerLine(worker.output(), 'stopped')).toEqual({ worker: 'stopped', signal: 'SIGTERM' });
    } finally {
      await engine.closeAll();
    }
  });

  it("applies README's raw JSON commands from a plain producer, placed on partitions as kcat does", async ({
    expect,
  }) => {
    const engine = new Engine(uniqueNamespace('cli-raw'));
    const cli = clientOf(engine.namespace);
    const partitions = 3; // 'o-1' hashes to 0 (murmur2) and to 2 (CRC32, kcat's default): it is forwarded
    const producer = createKafka({ brokers: engine.brokers, clientId: 'kcat-stand-in' }).producer();
    try {
      const lines = readmeKcatLines();
      expect(lines.map((l) => [l.key, l.topic, (JSON.parse(l.value) as { type: string }).type])).toEqual([
        ['o-1', 'logbook.commands', 'start'],
        ['o-1', 'logbook.commands', 'signal'],
        ['o-1', 'logbook.commands', 'cancel'],
      ]);
      const [start, signal, cancel] = lines;
      if (start === undefined || signal === undefined || cancel === undefined) throw new Error('unreachable');
      const commands = `${engine.namespace}.commands`;
      const send = (line: { key: string; value: string }) =>
        producer.send({
          topic: commands,
          messages: [{ key: line.key, value: line.value, partition: crc32(line.key) % partitions }],
        });

      await startWorker(engine, partitions);
      await producer.connect();
      await send(start);
      const running = await waitFor(
        async () => {
          const status = printed(await cli('status', 'o-1'));
          return status.status === 'running' ? status : false;
        },
        { timeoutMs: 20_000, message: 'o-1 never showed status running' },
      );
      expect(running).toMatchObject({ id: 'o-1', workflow: 'order' });

      await send(signal);
      const completed = await waitFor(
        async () => {
          const status = printed(await cli('status', 'o-1'));
          return status.status === 'completed' ? status : false;
        },
        { timeoutMs: 20_000, message: 'o-1 never showed status completed' },
      );
      expect(completed).toMatchObject({ result: { sku: 'A-1', approval: { ok: true } } });

      // A cancel for a workflow that already ended cannot apply: it goes to the DLQ, bytes unchanged.
      await send(cancel);
      const dlq = await consumeUntil({
        brokers: engine.brokers,
        topic: `${engine.namespace}.dlq`,
        until: (records) => records.length > 0,
      });
      expect(dlq.map((d) => [d.key, d.value])).toEqual([['o-1', cancel.value]]);
      const headers = dlq[0]?.message.headers ?? {};
      expect(String(headers['logbook-error-code'])).toBe('LB_CMD_WORKFLOW_FINISHED');
      expect(String(headers['logbook-source-topic'])).toBe(commands);
      for (const name of ['logbook-error-reason', 'logbook-source-partition', 'logbook-source-offset'])
        expect(headers[name]).toBeDefined();
    } finally {
      await producer.disconnect();
      await engine.closeAll();
    }
  });

  it('answers bad usage with one sentence on stderr and exit code 2, never a stack trace', async ({
    expect,
  }) => {
    const cli = clientOf(uniqueNamespace('cli-usage'));
    const runs = await Promise.all([
      cli('start', 'quick', '--id', 'x', '--input', 'not json'),
      logbook('frobnicate'),
      cli('start', 'quick', '--input', '{}'),
      cli('start', 'quick', '--id', 'x', '--bogus'),
      cli('signal', 'x', 'approve', '--payload'),
      cli('status', 'x', '--timeout', 'soon'),
      cli('start', 'quick', '--id', 'x', '--traceparent', '00-not-a-trace'),
      logbook('worker', '--workflows', 'tests/fixtures/workflows/no-such-module.ts'),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^logbook: \S/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const [badJson, unknown, ...rest] = runs;
    expect(badJson?.stderr).toBe(
      `logbook: --input must be JSON, for example '{"sku":"A-1"}'; got not json.\n`,
    );
    expect(unknown?.stderr).toMatch(/^logbook: unknown command "frobnicate"\.\n/);
    for (const run of rest) expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
