/**
 * `npm run -s bench:journal`: the journal tools (issue 8) on a journal of JOURNAL_RECORDS records (default
 * 1,000,000), printed as one JSON object on stdout; progress on stderr.
 *
 * The journal is written straight to a fresh namespace's journal topic, fast: the valid histories of many
 * W1 workflows (bench/journal-workflows.ts; 8 records each: started, three steps started and completed,
 * completed), encoded with the engine's codec and produced in large batches, after one OwnerClaimed per
 * partition whose epoch every record carries. JOURNAL_RUNNING_SHARE (0.01) of the workflows stop after
 * their second step, still running, so the tools see unfinished histories too. Then each tool runs as a
 * user runs it — a child process of the compiled CLI — and reports wall time, records/s and its peak RSS
 * (the child's maxRSS, written by a preload on exit): `journal replay <id>` (reads one partition),
 * `journal export` (to /dev/null), `journal verify` (structural) and `journal verify --workflows`.
 *
 * Env: LOGBOOK_BROKERS (default 127.0.0.1:9092), JOURNAL_RECORDS, JOURNAL_PARTITIONS (6),
 * JOURNAL_RUNNING_SHARE, JOURNAL_KEEP=1 keeps the topic (it is deleted at the end otherwise),
 * JOURNAL_HEAP_MIB caps each tool's V8 old space (`--max-old-space-size`): a tool that kept records would
 * run out of heap on a large journal, so a capped run that completes shows the memory is bounded.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeRecord,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type RecordBody,
  topicNames,
} from '../src/journal/index.js';
import { createKafka, parseBrokers, partitionFor } from '../src/kafka/index.js';
import { env } from './env.js';

const RECORDS = env('JOURNAL_RECORDS', 1_000_000);
const PARTITIONS = env('JOURNAL_PARTITIONS', 6);
const RUNNING_SHARE = env('JOURNAL_RUNNING_SHARE', 0.01);
const HEAP_MIB = process.env.JOURNAL_HEAP_MIB;
const BATCH_MESSAGES = 20_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const brokers = parseBrokers(process.env.LOGBOOK_BROKERS ?? '127.0.0.1:9092');
const ns = `bench-journal-${randomBytes(3).toString('hex')}`;
const topic = topicNames(ns).journal;
const progress = (line: string): void => void process.stderr.write(`[bench:journal] ${line}\n`);
const payload = 'x'.repeat(90);

/** The records of W1 workflow number `n`, `running` ones cut after their second step. */
function history(n: number, running: boolean): JournalRecord[] {
  const id = `w-${n}`;
  const at = T0 + n * 10;
  const v = { v: `${payload}${n}` };
  const bodies: RecordBody[] = [
    {
      kind: 'WorkflowStarted',
      workflow: 'w1',
      input: { sku: v.v },
      idempotencyKey: null,
      parent: null,
      trace: null,
    },
  ];
  const names = ['one', 'two', 'three'];
  for (let i = 0; i < (running ? 2 : 3); i++) {
    const callSeq = i + 1;
    const name = names[i] ?? '';
    bodies.push({ kind: 'StepStarted', callSeq, name, attempt: 1, parentSeq: i });
    bodies.push({
      kind: 'StepCompleted',
      callSeq,
      name,
      result: v,
      attempt: 1,
      startedAtMs: at,
      durationMs: 1,
    });
  }
  if (!running) bodies.push({ kind: 'WorkflowCompleted', result: v });
  return bodies.map((body, i) => ({
    schemaVersion: JOURNAL_SCHEMA_VERSION,
    workflowId: id,
    seq: i + 1,
    atMs: at + i,
    writerEpoch: 1,
    body,
  }));
}

/** What was written: records, workflows, and one finished workflow of partition 0 with that partition's records. */
interface Written {
  readonly records: number;
  readonly workflows: number;
  readonly sampleId: string;
  readonly sampleRecords: number;
}

/** Writes the journal. */
async function writeJournal(): Promise<Written> {
  const kafka = createKafka({ brokers, clientId: 'bench-journal' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const claims = Array.from({ length: PARTITIONS }, (_, partition) => ({
    partition,
    key: null,
    value: encodeRecord({
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      workflowId: '',
      seq: 0,
      atMs: T0,
      body: { kind: 'OwnerClaimed', partition, claimId: `claim-${partition}`, executorId: 'bench' },
    }),
  }));
  await producer.send({ topic, acks: -1, messages: claims });
  let records = PARTITIONS;
  let workflows = 0;
  let sampleId = '';
  let sampleRecords = 1; // partition 0's OwnerClaimed
  let batch: { key: string; value: Buffer; partition: number }[] = [];
  const started = Date.now();
  const every = Math.max(1, Math.round(1 / RUNNING_SHARE));
  while (records < RECORDS) {
    const running = workflows % every === every - 1;
    const id = `w-${workflows}`;
    const partition = partitionFor(id, PARTITIONS);
    if (sampleId === '' && !running && partition === 0) sampleId = id;
    for (const record of history(workflows, running))
      batch.push({ key: id, value: encodeRecord(record), partition });
    records += running ? 5 : 8;
    if (partition === 0) sampleRecords += running ? 5 : 8;
    workflows++;
    if (batch.length >= BATCH_MESSAGES) {
      await producer.send({ topic, acks: -1, messages: batch });
      batch = [];
      if (workflows % 25_000 < 3000) progress(`${records} records written`);
    }
  }
  if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch });
  await producer.disconnect();
  progress(`wrote ${records} records (${workflows} workflows) in ${Date.now() - started} ms`);
  return { records, workflows, sampleId, sampleRecords };
}

const RSS_PROBE =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\n[rss-kib] "+process.resourceUsage().maxRSS+"\\n"))';

/** Runs the compiled CLI with `args`; its wall time, exit code and peak RSS. */
async function tool(
  args: readonly string[],
): Promise<{ ms: number; code: number | null; rssMiB: number; stdout: string }> {
  const main = join(import.meta.dirname, '../src/cli/main.js');
  const devNull = args[1] === 'export' ? openSync('/dev/null', 'w') : undefined;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(HEAP_MIB === undefined ? [] : [`--max-old-space-size=${HEAP_MIB}`]),
      '--import',
      RSS_PROBE,
      main,
      ...args,
      '--brokers',
      brokers.join(','),
      '--namespace',
      ns,
    ],
    {
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
    },
  );
  let err = '';
  let out = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const ms = performance.now() - started;
  if (devNull !== undefined) closeSync(devNull);
  const rss = /\[rss-kib\] (\d+)/.exec(err)?.[1];
  if (code !== 0 && !(args.includes('--workflows') && code === 1))
    progress(`${args.join(' ')} exited ${code}: ${err.slice(0, 500)}`);
  return { ms, code, rssMiB: Math.round(Number(rss ?? 0) / 1024), stdout: out };
}

const perSecond = (records: number, ms: number): number => Math.round((records / ms) * 1000);

async function main(): Promise<void> {
  const written = await writeJournal();
  const figures: Record<string, unknown> = {
    heapCapMiB: HEAP_MIB === undefined ? null : Number(HEAP_MIB),
    records: written.records,
    workflows: written.workflows,
    partitions: PARTITIONS,
  };
  const replay = await tool(['journal', 'replay', written.sampleId]);
  figures.replay = {
    ms: Math.round(replay.ms),
    partitionRecords: written.sampleRecords,
    recordsPerS: perSecond(written.sampleRecords, replay.ms), // it reads the sample's partition only
    peakRssMiB: replay.rssMiB,
    code: replay.code,
  };
  progress(`replay: ${JSON.stringify(figures.replay)}`);
  const exported = await tool(['journal', 'export']);
  figures.export = {
    ms: Math.round(exported.ms),
    recordsPerS: perSecond(written.records, exported.ms),
    peakRssMiB: exported.rssMiB,
    code: exported.code,
  };
  progress(`export: ${JSON.stringify(figures.export)}`);
  const structural = await tool(['journal', 'verify']);
  figures.verify = {
    ms: Math.round(structural.ms),
    recordsPerS: perSecond(written.records, structural.ms),
    peakRssMiB: structural.rssMiB,
    code: structural.code,
  };
  progress(`verify: ${JSON.stringify(figures.verify)}`);
  const module = join(import.meta.dirname, 'journal-workflows.js');
  const code = await tool(['journal', 'verify', '--workflows', module]);
  figures.verifyWorkflows = {
    ms: Math.round(code.ms),
    recordsPerS: perSecond(written.records, code.ms),
    peakRssMiB: code.rssMiB,
    code: code.code,
    summary: code.stdout.trim().split('\n').at(-1),
  };
  progress(`verify --workflows: ${JSON.stringify(figures.verifyWorkflows)}`);
  figures.peakRssMiB = Math.max(replay.rssMiB, exported.rssMiB, structural.rssMiB, code.rssMiB);
  if (process.env.JOURNAL_KEEP !== '1') {
    const admin = createKafka({ brokers, clientId: 'bench-journal' }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  }
  process.stdout.write(`${JSON.stringify({ namespace: ns, ...figures }, null, 2)}\n`);
}

await main();
