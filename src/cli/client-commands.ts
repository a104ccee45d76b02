/**
 * `logbook start | signal | cancel | status`: the client side of the CLI. Each prints one JSON object on
 * stdout, so scripts can read it.
 *
 * I1. Payloads given on the command line must be JSON; a bad one is a usage error naming the flag.
 * I2. Every flag and the command itself are checked before anything is sent: a command the executor
 *     would reject as malformed (say an id starting with `__`) is a usage error, not a DLQ record.
 * I3. `start --wait` asks the owner at once, after its start: the start of an id that already exists
 *     writes nothing, so a re-start of an ended workflow prints its outcome without waiting, and a start
 *     the owner rejected (no workflow of that name) fails at once instead of waiting out `--timeout`.
 * I4. Kafka trouble (no broker, a namespace whose topics do not exist) is one sentence, exit code 1.
 */
import { Client, type WorkflowDescription } from '../client/index.js';
import { type Command, CommandInvalidError, encodeCommandJson } from '../commands/index.js';
import { ConfigError, ErrorCode, LogbookError } from '../errors.js';
import { defaultBrokers, defaultNamespace } from '../executor/executor-options.js';
import type { JsonValue } from '../journal/index.js';
import { parseBrokers, topicNames } from '../kafka/index.js';
import { parseTraceparent, type TraceOptions } from '../tracing/index.js';
import { TimeoutError, toMs } from '../workflow/index.js';
import { kafkaErrorDetail, type ParsedArgs, parseFlags, stringFlag } from './args.js';

const common = {
  brokers: { type: 'string' },
  namespace: { type: 'string' },
  help: { type: 'boolean' },
} as const;

/** The commands that carry trace context take `--traceparent`, else the TRACEPARENT environment variable. */
const traced = { ...common, traceparent: { type: 'string' } } as const;

/** The trace context a command carries: `--traceparent`, else TRACEPARENT; invalid is a usage error (I2). */
function traceOf(args: ParsedArgs, usage: string): TraceOptions {
  const traceparent = stringFlag(args, 'traceparent') ?? (process.env.TRACEPARENT || undefined);
  if (traceparent === undefined) return {};
  if (parseTraceparent(traceparent) === undefined)
    throw new ConfigError(
      `--traceparent ${JSON.stringify(traceparent)} is not a W3C traceparent. Usage: ${usage}`,
    );
  return { traceparent };
}

/** What a client command prints on stdout, and its exit code. */
interface Reply {
  readonly output: unknown;
  readonly exitCode?: number;
  /** One sentence for stderr, beside a non-zero exit code. */
  readonly message?: string;
}

function jsonFlag(args: ParsedArgs, name: string): JsonValue {
  const raw = stringFlag(args, name);
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw new ConfigError(`--${name} must be JSON, for example '{"sku":"A-1"}'; got ${raw}.`); // I1
  }
}

/** A duration flag: `10s`, `5m`, … or plain milliseconds, as toMs's message offers. */
function durationFlag(args: ParsedArgs, name: string, fallback: string): number {
  const raw = stringFlag(args, name) ?? fallback;
  return toMs(/^\s*\d+\s*$/.test(raw) ? Number(raw) : raw, `--${name}`);
}

/** Checks `command` as the executor will (I2); the Client encodes it again when it sends it. */
function checkCommand(command: Command, usage: string): void {
  try {
    encodeCommandJson(command);
  } catch (error) {
    if (error instanceof CommandInvalidError) throw new ConfigError(`${error.message} Usage: ${usage}`);
    throw error;
  }
}

function positional(args: ParsedArgs, index: number, what: string, usage: string): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new ConfigError(`missing ${what}. Usage: ${usage}`);
  return value;
}

/** Turns a KafkaJS failure into one sentence naming the brokers or the namespace (I4). */
function kafkaTrouble(thrown: unknown, brokers: readonly string[], namespace: string): unknown {
  // The client wraps Kafka's errors (client.ts I5); the sentence is about what Kafka said.
  const error = thrown instanceof LogbookError && thrown.cause instanceof Error ? thrown.cause : thrown;
  if (!(error instanceof Error) || !error.name.startsWith('KafkaJS')) return thrown;
  const type = (error as { type?: unknown }).type;
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
    return new LogbookError(
      ErrorCode.Kafka,
      `namespace "${namespace}" has no topics on ${brokers.join(',')} (${topicNames(namespace).commands} ` +
        'does not exist): start a worker with that --namespace first, it creates them.',
      { cause: error },
    );
  }
  const { detail, unreachable } = kafkaErrorDetail(error);
  const hint = unreachable
    ? '; start one with `logbook dev` or point --brokers or LOGBOOK_BROKERS at a running cluster'
    : '';
  return new LogbookError(ErrorCode.Kafka, `Kafka at ${brokers.join(',')} failed (${detail})${hint}.`, {
    cause: error,
  });
}

async function withClient(args: ParsedArgs, action: (client: Client) => Promise<Reply>): Promise<number> {
  const brokerList = stringFlag(args, 'brokers');
  const brokers = brokerList === undefined ? defaultBrokers() : parseBrokers(brokerList);
  const namespace = stringFlag(args, 'namespace') ?? defaultNamespace();
  if (brokers.length === 0) throw new ConfigError('--brokers is empty; give host:port[,host:port…].');
  // KafkaJS's retry chatter is noise around one JSON line; LOGBOOK_KAFKAJS_LOG still turns it on.
  process.env.LOGBOOK_KAFKAJS_LOG ??= 'nothing';
  const client = new Client({ brokers, namespace });
  let reply: Reply;
  try {
    reply = await action(client);
  } catch (error) {
    throw kafkaTrouble(error, brokers, namespace); // I4
  } finally {
    await client.close().catch(() => undefined); // a failed connect is already the error to report
  }
  process.stdout.write(`${JSON.stringify(reply.output)}\n`);
  if (reply.message !== undefined) process.stderr.write(`logbook: ${reply.message}\n`);
  return reply.exitCode ?? 0;
}

const startUsage =
  'logbook start <workflow> --id <id> [--input <json>] [--wait] [--timeout 5m] [--traceparent <w3c>] [--brokers] [--namespace]';

/** `logbook start`: starts a workflow (idempotent on id); with --wait, prints how it ended. */
export async function startCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(
    argv,
    {
      ...traced,
      id: { type: 'string' },
      input: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    startUsage,
    1,
  );
  if (args.flags.help === true) return help(startUsage);
  const workflow = positional(args, 0, 'the workflow name', startUsage);
  const id = stringFlag(args, 'id');
  if (id === undefined) throw new ConfigError(`missing --id. Usage: ${startUsage}`);
  const input = jsonFlag(args, 'input');
  const timeoutMs = durationFlag(args, 'timeout', '5m');
  checkCommand({ type: 'start', workflow, id, input, idempotency: null, parent: null }, startUsage);
  const trace = traceOf(args, startUsage);
  return withClient(args, async (client) => {
    await client.start(workflow, { id, input, ...trace });
    if (args.flags.wait !== true) return { output: { id, workflow, started: true } };
    return waitForEnd(client, id, workflow, timeoutMs);
  });
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Waits until workflow `id` ends (I3) and replies with its outcome; only `completed` exits 0. */
async function waitForEnd(client: Client, id: string, workflow: string, timeoutMs: number): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  // Answered by the owner after it applied the start, since both are keyed by id (I3).
  let status = await client.describe(id, { timeout: timeoutMs });
  if (status.status === 'unknown') {
    throw new LogbookError(
      ErrorCode.CommandUnknownWorkflow,
      `workflow "${id}" was not started: the executor owning it rejected the start, most likely because it ` +
        `runs no workflow named "${workflow}" (the reason is on ${client.topics.dlq}).`,
    );
  }
  if (!ENDED.has(status.status)) {
    // Resolves or rejects when it ends; the owner's status below says how, whatever the error's class.
    await client
      .handle(id)
      .result({ timeout: Math.max(deadline - Date.now(), 1) })
      .catch(() => undefined);
    status = await client.describe(id);
  }
  return outcome(status, id, workflow, timeoutMs);
}

function outcome(status: WorkflowDescription, id: string, fallbackName: string, timeoutMs: number): Reply {
  const workflow = status.workflow ?? fallbackName;
  if (status.status === 'completed') {
    return { output: { id, workflow, status: 'completed', result: status.result ?? null } };
  }
  if (status.status === 'running') {
    throw new TimeoutError(
      `workflow ${id} did not end within --timeout ${timeoutMs} ms; it is still running.`,
    );
  }
  const summary = status.summary as { cancelReason?: string | null } | undefined;
  const reason = status.status === 'cancelled' ? (summary?.cancelReason ?? null) : undefined;
  const why = status.error?.message ?? reason ?? '';
  return {
    output: {
      id,
      workflow,
      status: status.status,
      ...(reason === undefined ? {} : { reason }),
      ...(status.error === undefined ? {} : { error: status.error }),
    },
    exitCode: 1,
    message: `workflow ${id} ${status.status === 'stuck' ? 'is stuck' : status.status}${why === '' ? '' : `: ${why}`}`,
  };
}

const signalUsage =
  'logbook signal <id> <name> [--payload <json>] [--traceparent <w3c>] [--brokers] [--namespace]';

/** `logbook signal`: sends a signal to a workflow. */
export async function signalCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...traced, payload: { type: 'string' } }, signalUsage, 2);
  if (args.flags.help === true) return help(signalUsage);
  const id = positional(args, 0, 'the workflow id', signalUsage);
  const name = positional(args, 1, 'the signal name', signalUsage);
  const payload = jsonFlag(args, 'payload');
  checkCommand({ type: 'signal', id, name, payload }, signalUsage);
  const trace = traceOf(args, signalUsage);
  return withClient(args, async (client) => {
    await client.signal(id, name, payload, trace);
    return { output: { id, signal: name, sent: true } };
  });
}

const cancelUsage = 'logbook cancel <id> [--reason <text>] [--traceparent <w3c>] [--brokers] [--namespace]';

/** `logbook cancel`: asks a workflow to cancel (its compensations run). */
export async function cancelCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...traced, reason: { type: 'string' } }, cancelUsage, 1);
  if (args.flags.help === true) return help(cancelUsage);
  const id = positional(args, 0, 'the workflow id', cancelUsage);
  const reason = stringFlag(args, 'reason') ?? 'cancelled from the CLI';
  checkCommand({ type: 'cancel', id, reason }, cancelUsage);
  const trace = traceOf(args, cancelUsage);
  return withClient(args, async (client) => {
    await client.cancel(id, reason, trace);
    return { output: { id, cancel: true, reason } };
  });
}

const statusUsage = 'logbook status <id> [--timeout 15s] [--brokers] [--namespace]';

/** `logbook status`: prints a workflow's status as its owner reports it (stuck ones with the divergence). */
export async function statusCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...common, timeout: { type: 'string' } }, statusUsage, 1);
  if (args.flags.help === true) return help(statusUsage);
  const id = positional(args, 0, 'the workflow id', statusUsage);
  const timeoutMs = durationFlag(args, 'timeout', '15s');
  checkCommand({ type: 'query', id, requestId: 'check' }, statusUsage);
  return withClient(args, async (client) => ({
    output: await client.describe(id, { timeout: timeoutMs }),
  }));
}

function help(usage: string): number {
  process.stdout.write(`${usage}\n`);
  return 0;
}
