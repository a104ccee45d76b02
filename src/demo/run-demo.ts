/**
 * `logbook demo` / `npm run demo`: the order-fulfilment saga under a crash, end to end on real Kafka.
 * Starts a local broker (unless LOGBOOK_BROKERS is set), runs two executor processes, produces 500
 * OrderPlaced orders as raw JSON command events, SIGKILLs one executor halfway, shows the survivor take
 * over, and prints a summary. It ends by itself and leaves nothing running.
 *
 * I1. Orders are raw command events from a plain producer — what any Kafka producer would send.
 * I2. Progress is read from `ns.events` (read_committed), so every count is a committed outcome.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalBroker, packageRoot, startLocalBroker } from '../dev/index.js';
import { createKafka, parseBrokers, topicNames } from '../kafka/index.js';
import type { WorkflowEvent } from '../machine/index.js';
import { progressLine, summary, type Tally } from './progress.js';

const ORDERS = 500;
const PARTITIONS = 6;
const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');

function cliArgs(): string[] {
  return fromSource
    ? ['--import', 'tsx', join(packageRoot, 'src/cli/main.ts')]
    : [join(packageRoot, 'dist/cli/main.js')];
}

function workflowsModule(): string {
  return join(packageRoot, fromSource ? 'src/demo/order-workflow.ts' : 'dist/demo/order-workflow.js');
}

interface Worker {
  readonly name: string;
  readonly child: ChildProcess;
  partitions: number[];
  /** From its 'partition owned' log lines: journal records replayed, and when it last took each partition. */
  replayed: number;
  readonly ownedAt: Map<number, number>;
}

function spawnWorker(
  name: string,
  brokers: string,
  namespace: string,
  stateDir: string,
  onAssign: (w: Worker) => void,
): Worker {
  const args = [
    ...cliArgs(),
    'worker',
    '--workflows',
    workflowsModule(),
    '--brokers',
    brokers,
    '--namespace',
    namespace,
  ];
  args.push(
    '--state-dir',
    stateDir,
    '--partitions',
    String(PARTITIONS),
    '--session-timeout',
    '6s',
    '--id',
    name,
  );
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: packageRoot });
  const worker: Worker = { name, child, partitions: [], replayed: 0, ownedAt: new Map() };
  let buffer = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as {
        message?: string;
        partitions?: number[];
        partition?: number;
        catchUpRecords?: number;
      };
      if (entry.message === 'partition owned') {
        worker.replayed += entry.catchUpRecords ?? 0;
        if (typeof entry.partition === 'number') worker.ownedAt.set(entry.partition, Date.now());
      }
      if (entry.message === 'assignment' && Array.isArray(entry.partitions)) {
        worker.partitions = entry.partitions;
        onAssign(worker);
      }
    }
  });
  return worker;
}

function orderCommand(i: number): { key: string; value: string } {
  const orderId = `order-${String(i).padStart(4, '0')}`;
  const declined = i % 10 === 3;
  const soldOut = i % 50 === 7;
  const input = {
    orderId,
    sku: soldOut ? 'SOLD-OUT' : `SKU-${(i % 17) + 1}`,
    quantity: 1 + (i % 3),
    card: declined ? '4000-0000-0000-0002' : '4242-4242-4242-4242',
    amountCents: 1_000 + i * 7,
  };
  return { key: orderId, value: JSON.stringify({ type: 'start', workflow: 'order', id: orderId, input }) };
}

/** Runs the demo; resolves with the exit code. */
export async function runDemo(): Promise<number> {
  const started = Date.now();
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  let broker: LocalBroker | undefined;
  const existing = process.env.LOGBOOK_BROKERS;
  if (existing === undefined || existing === '') {
    out('Starting a local Kafka broker …');
    broker = await startLocalBroker();
    out(
      `Kafka ${broker.distribution.version} ready at ${broker.bootstrap} in ${(broker.readyMs / 1000).toFixed(1)} s.`,
    );
  }
  const brokers = broker?.bootstrap ?? existing ?? '';
  const namespace = `demo-${randomBytes(3).toString('hex')}`;
  const topics = topicNames(namespace);
  const scratch = mkdtempSync(join(tmpdir(), 'logbook-demo-'));
  const kafka = createKafka({ brokers: parseBrokers(brokers), clientId: 'logbook-demo' });
  const workers: Worker[] = [];
  try {
    return await drive({ out, brokers, namespace, topics, scratch, kafka, workers, started });
  } finally {
    for (const w of workers)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
    await broker?.stop();
  }
}

interface DemoContext {
  readonly out: (line: string) => boolean;
  readonly brokers: string;
  readonly namespace: string;
  readonly topics: ReturnType<typeof topicNames>;
  readonly scratch: string;
  readonly kafka: ReturnType<typeof createKafka>;
  readonly workers: Worker[];
  readonly started: number;
}

async function drive(c: DemoContext): Promise<number> {
  let killedAt: number | undefined;
  let endedOnA = 0;
  let takeoverMs: number | undefined;
  const onAssign = (w: Worker): void => {
    if (killedAt !== undefined && takeoverMs === undefined && w.partitions.length === PARTITIONS) {
      takeoverMs = Date.now() - killedAt;
      const seconds = (takeoverMs / 1000).toFixed(1);
      c.out(
        `\n→ executor ${w.name} took over all ${PARTITIONS} partitions ${seconds} s after the kill; it replays their journals and carries on.`,
      );
    }
  };
  c.out(`Namespace ${c.namespace}: two executors (A, B), ${PARTITIONS} partitions, ${ORDERS} orders.`);
  c.workers.push(spawnWorker('A', c.brokers, c.namespace, join(c.scratch, 'a'), onAssign));
  c.workers.push(spawnWorker('B', c.brokers, c.namespace, join(c.scratch, 'b'), onAssign));

  const tally: Tally = { completed: 0, compensated: 0, failed: 0, duplicates: 0 };
  const ended = new Set<string>();
  await waitForTopic(c);
  await waitUntil(() => c.workers.every((w) => w.partitions.length > 0), 60_000); // both own partitions
  c.out(
    `Executor A owns partitions [${c.workers[0]?.partitions.join(', ')}], B owns [${c.workers[1]?.partitions.join(', ')}].`,
  );
  const consumer = c.kafka.consumer({
    groupId: `${c.namespace}.demo-progress`,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: c.topics.events, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}') as WorkflowEvent;
      if (event.type !== 'WorkflowCompleted' && event.type !== 'WorkflowFailed') return;
      if (ended.has(event.id)) tally.duplicates++;
      ended.add(event.id);
      if (c.workers[0]?.partitions.includes(partition) === true) endedOnA++; // events go to the owner's partition
      if (killedAt === undefined && endedOnA >= ORDERS / 4) {
        // Killed from the event stream itself, when about half of A's orders are done, so the kill lands
        // with work in flight on A however fast the run is.
        killedAt = Date.now();
        c.workers[0]?.child.kill('SIGKILL');
        c.out(
          `\n✗ SIGKILL executor A (pid ${c.workers[0]?.child.pid}) with ${ORDERS - ended.size} orders still to go.`,
        );
      }
      if (event.type === 'WorkflowCompleted') tally.completed++;
      else if (event.error?.name === 'CardDeclined') tally.compensated++;
      else tally.failed++;
    },
  });

  const producer = c.kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const orders = Array.from({ length: ORDERS }, (_, i) => orderCommand(i));
  await producer.send({ topic: c.topics.commands, acks: -1, messages: orders }); // I1
  await producer.disconnect();
  c.out(`Produced ${ORDERS} OrderPlaced commands to ${c.topics.commands}.\n`);

  const tty = process.stdout.isTTY === true;
  let lastPrint = 0;
  const deadline = Date.now() + 180_000;
  // The run goes on until every order ended and, after the kill, the survivor owns A's partitions: the
  // takeover is what the demo shows, even when A had finished its in-flight orders before it died.
  const [killed, survivor] = c.workers;
  const takenOver = (): boolean =>
    killedAt === undefined ||
    (killed?.partitions ?? []).every((p) => (survivor?.ownedAt.get(p) ?? 0) >= (killedAt ?? 0));
  while ((ended.size < ORDERS || !takenOver()) && Date.now() < deadline) {
    const line = progressLine(tally, ORDERS, Date.now() - c.started);
    if (tty) process.stdout.write(`\r${line}`);
    else if (Date.now() - lastPrint > 500) {
      c.out(line);
      lastPrint = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (tty) process.stdout.write(`\r${progressLine(tally, ORDERS, Date.now() - c.started)}\n`);
  await consumer.disconnect();
  if (survivor !== undefined && survivor.child.exitCode === null) {
    survivor.child.kill('SIGTERM');
    await new Promise((resolve) => survivor.child.once('exit', resolve));
    c.out(
      `Executor B took over A's partitions (it read ${survivor.replayed} journal records to catch up in all) and stopped cleanly.`,
    );
  }
  c.out(summary(tally, ORDERS, Date.now() - c.started, takeoverMs));
  return ended.size === ORDERS && tally.duplicates === 0 ? 0 : 1;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function waitForTopic(c: DemoContext): Promise<void> {
  const admin = c.kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < 600; i++) {
      const topics = await admin.listTopics();
      if (topics.includes(c.topics.commands) && topics.includes(c.topics.events)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
