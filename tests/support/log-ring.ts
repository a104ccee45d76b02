/**
 * A Logger for in-process executors in tests: it keeps the last lines in memory and prints them only when
 * the test fails, so a flaky failure comes with the owner's own account of what it did.
 *
 * I1. Bounded: at most `LOG_RING_LINES` lines; older ones are dropped and counted.
 * I2. Lines below `LOGBOOK_TEST_LOG_LEVEL` (default info) are never formatted.
 */
import { onTestFailed } from 'vitest';
import { filteredLogger, type Logger, type LogLevel, parseLogLevel } from '../../src/logging/logger.js';

/** Lines kept per ring (I1). */
export const LOG_RING_LINES = 2_000;

/** The last lines logged, printed by `dump`. */
export class LogRing {
  private readonly lines: string[] = [];
  private dropped = 0;

  constructor(private readonly name: string) {}

  /** A Logger writing into this ring at the env's level (I2). */
  logger(): Logger {
    const level = parseLogLevel(process.env.LOGBOOK_TEST_LOG_LEVEL ?? 'info', 'LOGBOOK_TEST_LOG_LEVEL');
    const sink: Logger = {
      log: (l: LogLevel, message, fields) => this.push(l, message, fields),
    };
    return filteredLogger(sink, level);
  }

  /** Prints the ring to stderr when the current test fails; outside a test it does nothing. */
  dumpOnFailure(): void {
    try {
      onTestFailed(() => this.dump());
    } catch {
      // Not inside a test (a beforeAll hook): nothing to attach to.
    }
  }

  /** Writes every kept line to stderr. */
  dump(): void {
    const head = `--- ${this.name}: last ${this.lines.length} log lines${this.dropped > 0 ? ` (${this.dropped} older dropped)` : ''}`;
    process.stderr.write(`${head}\n${this.lines.join('\n')}\n--- end of ${this.name}\n`);
  }

  private push(
    level: LogLevel,
    message: string,
    fields: Readonly<Record<string, unknown>> | undefined,
  ): void {
    if (this.lines.length >= LOG_RING_LINES) {
      this.lines.shift();
      this.dropped += 1;
    }
    const at = new Date().toISOString().slice(11, 23);
    this.lines.push(`${at} ${level} ${message}${fields === undefined ? '' : ` ${safeJson(fields)}`}`);
  }
}

function safeJson(fields: Readonly<Record<string, unknown>>): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return '[unserialisable fields]';
  }
}
