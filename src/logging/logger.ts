/**
 * Structured logging for the executor: one JSON object a line on stderr, or a caller's sink.
 */

/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where executor log lines go. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>): void;
}

const rank: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger writing JSON lines to stderr at `minLevel` and above. */
export function stderrLogger(minLevel: LogLevel = 'info'): Logger {
  return {
    log(level, message, fields = {}) {
      if (rank[level] < rank[minLevel]) return;
      process.stderr.write(
        `${JSON.stringify({ at: new Date().toISOString(), level, message, ...fields })}\n`,
      );
    },
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { log: () => undefined };
