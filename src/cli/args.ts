/**
 * Command-line parsing shared by every `logbook` subcommand: flags via node:util parseArgs, with
 * defaults from the environment (LOGBOOK_BROKERS, LOGBOOK_NAMESPACE) and typed conversion once here.
 *
 * I1. A bad flag or value is a UsageError with one sentence; no subcommand sees raw strings it must re-check.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

/** Flag definitions as node:util parseArgs takes them. */
export type FlagSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals of one subcommand. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** parseArgs' message for a bad flag, cut to one sentence (its own run on with advice on `--`). */
function oneSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown?.[1] !== undefined) return `unknown option ${unknown[1]}.`;
  const missing = /^Option '(--[^ ']+)[^']*' argument (missing|is ambiguous)/.exec(message);
  if (missing?.[1] !== undefined) return `${missing[1]} needs a value.`;
  const first = message.split('\n')[0] ?? message;
  return first.endsWith('.') ? first : `${first}.`;
}

/**
 * Parses `argv` against `spec`, turning parseArgs' errors into ConfigError (I1); `usage`, when given, is
 * appended to the error and bounds the positionals to `maxPositionals`.
 */
export function parseFlags(
  argv: readonly string[],
  spec: FlagSpec,
  usage?: string,
  maxPositionals = Number.POSITIVE_INFINITY,
): ParsedArgs {
  const hint = usage === undefined ? '' : ` Usage: ${usage}`;
  let parsed: ParsedArgs;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: spec,
      allowPositionals: true,
      strict: true,
    });
    const flags: Record<string, string | boolean | undefined> = {};
    for (const [name, value] of Object.entries(values)) {
      flags[name] = Array.isArray(value) ? value.join(',') : value;
    }
    parsed = { flags, positionals };
  } catch (error) {
    throw new ConfigError(`${oneSentence(error)}${hint}`);
  }
  const extra = parsed.positionals[maxPositionals];
  if (extra !== undefined) throw new ConfigError(`unexpected argument "${extra}".${hint}`);
  return parsed;
}

/** Reads a string flag, or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a port flag: an integer in 1..65535 (I1). */
export function portFlag(args: ParsedArgs, name: string, fallback: number): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ConfigError(`--${name} must be a port number from 1 to 65535, not "${raw}".`);
  }
  return port;
}

/** Reads a positive integer flag (I1). */
export function positiveIntFlag(args: ParsedArgs, name: string, fallback: number): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`--${name} must be a positive integer, not "${raw}".`);
  }
  return value;
}

/** What a KafkaJS error says, for one sentence, and whether it means no broker answered at all. */
export function kafkaErrorDetail(error: Error): { readonly detail: string; readonly unreachable: boolean } {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const detail =
    cause === undefined || error.message.includes(cause.message)
      ? error.message
      : `${error.message}: ${cause.message}`;
  const unreachable =
    error.name === 'KafkaJSConnectionError' ||
    cause?.name === 'KafkaJSConnectionError' ||
    /Connection error|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/.test(detail);
  return { detail, unreachable };
}
