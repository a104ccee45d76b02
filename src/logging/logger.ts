/**
 * Structured logging for the executor: the Logger every component writes to, the levels, and the helpers
 * that bind fields (a partition, a workflow) once so no call site can forget them.
 *
 * I1. A Logger needs only `log`. `child` and `isLevelEnabled` are optional: a caller's own Logger without
 *     them still works, through {@link childLogger}'s field-merging wrapper and {@link levelEnabled}'s
 *     answer "yes".
 * I2. A log line about a workflow carries `workflowId`, `partition` and `workflow` (workflowFields gives
 *     two, the owner's child logger binds the third).
 * I3. Bound fields are never repeated at a call site: pino writes a bound key and a passed one twice.
 */
import { ConfigError } from '../errors.js';

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Every level, quietest last. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Fields of one log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where executor log lines go. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (I1). */
  child?(fields: LogFields): Logger;
  /** False when a line of `level` would be dropped, so a caller can skip building its fields (I1). */
  isLevelEnabled?(level: LogLevel): boolean;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** True for the four level names. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(rank, value);
}

/** Parses a level name from a flag, an env variable or an option; anything else is a ConfigError. */
export function parseLogLevel(value: string, where: string): LogLevel {
  if (isLogLevel(value)) return value;
  throw new ConfigError(`${where} must be one of ${LOG_LEVELS.join(', ')}, not "${value}".`);
}

/** True when `logger` would write a line of `level` (I1). */
export function levelEnabled(logger: Logger, level: LogLevel): boolean {
  return logger.isLevelEnabled?.(level) ?? true;
}

/** `logger` with `fields` bound to every line: its own `child` when it has one, else a wrapper (I1). */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  if (logger.child !== undefined) return logger.child(fields);
  return {
    log: (level, message, more) =>
      logger.log(level, message, more === undefined ? fields : { ...fields, ...more }),
    child: (inner) => childLogger(logger, { ...fields, ...inner }),
    ...(logger.isLevelEnabled === undefined ? {} : { isLevelEnabled: (l) => levelEnabled(logger, l) }),
  };
}

/** `logger` without the lines below `minLevel`. */
export function filteredLogger(logger: Logger, minLevel: LogLevel): Logger {
  const enabled = (level: LogLevel): boolean => rank[level] >= rank[minLevel] && levelEnabled(logger, level);
  return {
    log: (level, message, fields) => {
      if (enabled(level)) logger.log(level, message, fields);
    },
    child: (fields) => filteredLogger(childLogger(logger, fields), minLevel),
    isLevelEnabled: enabled,
  };
}

/** The fields naming a workflow on a line about it (I2); the partition comes from the owner's logger. */
export function workflowFields(
  workflowId: string,
  workflow: string | undefined,
): { readonly workflowId: string; readonly workflow: string } {
  return { workflowId, workflow: workflow ?? '' };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  log: () => undefined,
  child: () => silentLogger,
  isLevelEnabled: () => false,
};
