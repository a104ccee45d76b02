/**
 * `logbook start | signal | cancel | status`: the client side of the CLI. Each prints one JSON object on
 * stdout, so scripts can read it.
 *
 * I1. Payloads given on the command line must be JSON; a bad one is a usage error naming the flag.
 */
import { Client } from '../client/index.js';
import { ConfigError } from '../errors.js';
import type { JsonValue } from '../journal/index.js';
import { type ParsedArgs, parseFlags, stringFlag } from './args.js';

const common = {
  brokers: { type: 'string' },
  namespace: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function jsonFlag(args: ParsedArgs, name: string): JsonValue {
  const raw = stringFlag(args, name);
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw new ConfigError(`--${name} must be JSON, for example '{"sku":"A-1"}'; got ${raw}.`); // I1
  }
}

function clientFor(args: ParsedArgs): Client {
  const brokers = stringFlag(args, 'brokers');
  const namespace = stringFlag(args, 'namespace');
  return new Client({
    ...(brokers === undefined ? {} : { brokers }),
    ...(namespace === undefined ? {} : { namespace }),
  });
}

function positional(args: ParsedArgs, index: number, what: string, usage: string): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new ConfigError(`missing ${what}. Usage: ${usage}`);
  return value;
}

async function withClient<T>(args: ParsedArgs, action: (client: Client) => Promise<T>): Promise<number> {
  const client = clientFor(args);
  try {
    const output = await action(client);
    process.stdout.write(`${JSON.stringify(output)}\n`);
    return 0;
  } finally {
    await client.close();
  }
}

const startUsage =
  'logbook start <workflow> --id <id> [--input <json>] [--wait] [--timeout 5m] [--brokers] [--namespace]';

/** `logbook start`: starts a workflow (idempotent on id); with --wait, prints its result. */
export async function startCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, {
    ...common,
    id: { type: 'string' },
    input: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  if (args.flags.help === true) return help(startUsage);
  const workflow = positional(args, 0, 'the workflow name', startUsage);
  const id = stringFlag(args, 'id');
  if (id === undefined) throw new ConfigError(`missing --id. Usage: ${startUsage}`);
  const input = jsonFlag(args, 'input');
  return withClient(args, async (client) => {
    const handle = await client.start(workflow, { id, input });
    if (args.flags.wait !== true) return { id, workflow, started: true };
    const result = await handle.result({ timeout: stringFlag(args, 'timeout') ?? '5m' });
    return { id, workflow, status: 'completed', result };
  });
}

const signalUsage = 'logbook signal <id> <name> [--payload <json>] [--brokers] [--namespace]';

/** `logbook signal`: sends a signal to a workflow. */
export async function signalCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...common, payload: { type: 'string' } });
  if (args.flags.help === true) return help(signalUsage);
  const id = positional(args, 0, 'the workflow id', signalUsage);
  const name = positional(args, 1, 'the signal name', signalUsage);
  const payload = jsonFlag(args, 'payload');
  return withClient(args, async (client) => {
    await client.signal(id, name, payload);
    return { id, signal: name, sent: true };
  });
}

const cancelUsage = 'logbook cancel <id> [--reason <text>] [--brokers] [--namespace]';

/** `logbook cancel`: asks a workflow to cancel (its compensations run). */
export async function cancelCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...common, reason: { type: 'string' } });
  if (args.flags.help === true) return help(cancelUsage);
  const id = positional(args, 0, 'the workflow id', cancelUsage);
  const reason = stringFlag(args, 'reason') ?? 'cancelled from the CLI';
  return withClient(args, async (client) => {
    await client.cancel(id, reason);
    return { id, cancel: true, reason };
  });
}

const statusUsage = 'logbook status <id> [--timeout 15s] [--brokers] [--namespace]';

/** `logbook status`: prints a workflow's status as its owner reports it (stuck ones with the divergence). */
export async function statusCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, { ...common, timeout: { type: 'string' } });
  if (args.flags.help === true) return help(statusUsage);
  const id = positional(args, 0, 'the workflow id', statusUsage);
  return withClient(args, (client) => client.describe(id, { timeout: stringFlag(args, 'timeout') ?? '15s' }));
}

function help(usage: string): number {
  process.stdout.write(`${usage}\n`);
  return 0;
}
