/**
 * The default Logger, on pino: one JSON object a line, to stderr unless a stream is given.
 *
 * I1. A line is `{"level":"info","at":"<ISO time>","message":"…", …fields}`: level names, not pino's
 *     numbers, and the same keys the executor wrote before pino, so log queries keep working.
 * I2. Writes are synchronous (pino.destination with `sync: true`): lines are few (nothing per tick at
 *     info), and a worker that exits or crashes loses none.
 * I3. A level below the logger's costs one comparison in pino and no field object when the caller checks
 *     `isLevelEnabled` first.
 */
import pino from 'pino';
import type { Logger, LogLevel } from './logger.js';

/** Options of {@link pinoLogger}. */
export interface PinoLoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where lines go; default stderr (fd 2). */
  readonly destination?: NodeJS.WritableStream;
  /** Fields on every line. */
  readonly base?: Readonly<Record<string, unknown>>;
}

/** A Logger over an existing pino instance. */
export function fromPino(instance: pino.Logger): Logger {
  return {
    log: (level, message, fields) => {
      if (fields === undefined) instance[level](message);
      else instance[level](fields, message);
    },
    child: (fields) => fromPino(instance.child(fields)),
    isLevelEnabled: (level) => instance.isLevelEnabled(level),
  };
}

/** A pino Logger writing JSON lines (I1) to `destination`, stderr by default (I2). */
export function pinoLogger(options: PinoLoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const instance = pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: options.base === undefined ? null : { ...options.base },
      timestamp: () => `,"at":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return fromPino(instance);
}

/** A logger writing JSON lines to stderr at `minLevel` and above (pino, I1). */
export function stderrLogger(minLevel: LogLevel = 'info'): Logger {
  return pinoLogger({ level: minLevel });
}
