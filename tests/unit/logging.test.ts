/**
 * Proves the pino Logger (src/logging): one JSON object a line with level names, `at` and `message`;
 * lines below the level are dropped (and `isLevelEnabled` says so); child loggers bind their fields to
 * every line without repeating them; a caller's plain Logger gets the same binding and filtering through
 * wrappers; level names are checked, and the executor options resolve the level from the option (the
 * worker's --log-level), then LOGBOOK_LOG_LEVEL, refusing anything else with a ConfigError; after a commit,
 * workflow lines are written at debug only, but a stuck workflow at info too, each naming its workflow.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { workerCommand } from '../../src/cli/worker-command.js';
import { ConfigError } from '../../src/errors.js';
import { resolveExecutorOptions } from '../../src/executor/executor-options.js';
import type { JournalRecord, RecordBody } from '../../src/journal/index.js';
import {
  childLogger,
  filteredLogger,
  type Logger,
  type LogLevel,
  parseLogLevel,
  pinoLogger,
} from '../../src/logging/index.js';
import type { WorkflowState } from '../../src/machine/index.js';
import { logCommitted } from '../../src/partition/workflow-log.js';

/** A stream that keeps every line written to it, parsed. */
function capture(): { stream: Writable; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return {
    stream,
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

describe('the pino logger', () => {
  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('at level %s writes only %j', (level, written) => {
    const out = capture();
    const logger = pinoLogger({ level, destination: out.stream });
    for (const l of LEVELS) logger.log(l, `a ${l} line`, { n: 1 });
    expect(out.lines.map((l) => l.level)).toEqual(written);
    expect(LEVELS.filter((l) => logger.isLevelEnabled?.(l))).toEqual(written);
  });

  it('writes one JSON object a line with level, at, message and the fields', () => {
    const out = capture();
    const logger = pinoLogger({ destination: out.stream });
    logger.log('info', 'hello', { workflowId: 'w-1', nested: { a: [1, 2] } });
    logger.log('warn', 'no fields');
    expect(out.raw).toHaveLength(2);
    const [first, second] = out.lines;
    expect(first).toEqual({
      level: 'info',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      message: 'hello',
      workflowId: 'w-1',
      nested: { a: [1, 2] },
    });
    expect(second).toEqual({ level: 'warn', at: expect.any(String), message: 'no fields' });
  });

  it('a child binds its fields to every line, once, and keeps the level', () => {
    const out = capture();
    const owner = childLogger(pinoLogger({ level: 'info', destination: out.stream }), { partition: 3 });
    owner.log('info', 'partition owned', { catchUpRecords: 0 });
    owner.log('debug', 'dropped');
    childLogger(owner, { workflowId: 'w-9', workflow: 'order' }).log('error', 'about a workflow');
    expect(out.lines).toEqual([
      expect.objectContaining({ message: 'partition owned', partition: 3, catchUpRecords: 0 }),
      expect.objectContaining({
        message: 'about a workflow',
        partition: 3,
        workflowId: 'w-9',
        workflow: 'order',
      }),
    ]);
    for (const line of out.raw) expect(line.match(/"partition"/g)).toHaveLength(1);
  });
});

describe("a caller's own Logger", () => {
  function plain(): { logger: Logger; seen: { level: LogLevel; message: string; fields: unknown }[] } {
    const seen: { level: LogLevel; message: string; fields: unknown }[] = [];
    return { seen, logger: { log: (level, message, fields) => void seen.push({ level, message, fields }) } };
  }

  it('gets bound fields merged into each line by childLogger', () => {
    const { logger, seen } = plain();
    const child = childLogger(childLogger(logger, { partition: 1 }), { workflowId: 'a' });
    child.log('info', 'x', { n: 2 });
    child.log('warn', 'y');
    expect(seen).toEqual([
      { level: 'info', message: 'x', fields: { partition: 1, workflowId: 'a', n: 2 } },
      { level: 'warn', message: 'y', fields: { partition: 1, workflowId: 'a' } },
    ]);
  });

  it('is filtered below the given level, its children too', () => {
    const { logger, seen } = plain();
    const filtered = filteredLogger(logger, 'warn');
    for (const l of LEVELS) filtered.log(l, l);
    childLogger(filtered, { partition: 0 }).log('info', 'child info');
    childLogger(filtered, { partition: 0 }).log('error', 'child error');
    expect(seen.map((s) => s.message)).toEqual(['warn', 'error', 'child error']);
    expect(filtered.isLevelEnabled?.('info')).toBe(false);
  });
});

describe('workflow lines after a commit', () => {
  const error = {
    name: 'NonDeterminismError',
    code: 'LB_NONDETERMINISM',
    message: 'diverged',
    details: null,
  };
  const record = (seq: number, body: RecordBody): JournalRecord => ({
    schemaVersion: 4,
    workflowId: 'w-1',
    seq,
    atMs: 1,
    body,
  });
  const records = [
    record(1, {
      kind: 'WorkflowStarted',
      workflow: 'order',
      input: null,
      idempotencyKey: null,
      parent: null,
      trace: null,
    }),
    record(2, { kind: 'StepStarted', callSeq: 1, name: 'pay', attempt: 1, parentSeq: 0 }),
    record(3, { kind: 'WorkflowStuck', error }),
    { ...record(0, { kind: 'CommandsConsumed', partition: 0, nextOffset: 3 }), workflowId: '' },
  ];
  const stateOf = (id: string) => (id === 'w-1' ? ({ workflow: 'order' } as WorkflowState) : undefined);

  it.each([
    ['info', ['workflow stuck']],
    ['debug', ['workflow started', 'workflow stuck']],
  ] as const)('at %s writes %j, each naming the workflow and partition', (level, messages) => {
    const out = capture();
    const owner = childLogger(pinoLogger({ level, destination: out.stream }), { partition: 2 });
    logCommitted(owner, records, stateOf);
    expect(out.lines.map((l) => l.message)).toEqual(messages);
    for (const line of out.lines)
      expect(line).toMatchObject({ workflowId: 'w-1', workflow: 'order', partition: 2 });
  });
});

describe('log levels', () => {
  const env = process.env.LOGBOOK_LOG_LEVEL;
  afterEach(() => {
    if (env === undefined) delete process.env.LOGBOOK_LOG_LEVEL;
    else process.env.LOGBOOK_LOG_LEVEL = env;
  });
  const resolve = (options: { logLevel?: string; logger?: Logger } = {}) =>
    resolveExecutorOptions({ workflows: [], brokers: '127.0.0.1:1', ...options });

  it('parses the four names and refuses anything else with a ConfigError', () => {
    for (const l of LEVELS) expect(parseLogLevel(l, '--log-level')).toBe(l);
    for (const bad of ['', 'INFO', 'trace', 'verbose'])
      expect(() => parseLogLevel(bad, '--log-level')).toThrow(ConfigError);
  });

  it('the executor takes the option over LOGBOOK_LOG_LEVEL over info', () => {
    delete process.env.LOGBOOK_LOG_LEVEL;
    expect(resolve().logLevel).toBe('info');
    process.env.LOGBOOK_LOG_LEVEL = 'warn';
    expect(resolve().logLevel).toBe('warn');
    expect(resolve().logger.isLevelEnabled?.('info')).toBe(false);
    expect(resolve({ logLevel: 'debug' }).logLevel).toBe('debug');
  });

  it('an invalid level in the option or the environment is a ConfigError', () => {
    delete process.env.LOGBOOK_LOG_LEVEL;
    expect(() => resolve({ logLevel: 'loud' })).toThrow(/logLevel must be one of debug, info, warn, error/);
    process.env.LOGBOOK_LOG_LEVEL = 'chatty';
    expect(() => resolve()).toThrow(ConfigError);
  });

  it('`logbook worker --log-level` refuses a bad level with a ConfigError naming the flag, before connecting', async () => {
    delete process.env.LOGBOOK_LOG_LEVEL;
    const argv = ['--workflows', 'tests/fixtures/workflows/approval.ts', '--brokers', '127.0.0.1:1'];
    await expect(workerCommand([...argv, '--log-level', 'loud'])).rejects.toThrow(
      /--log-level must be one of debug, info, warn, error, not "loud"/,
    );
    process.env.LOGBOOK_LOG_LEVEL = 'loud';
    await expect(workerCommand(argv)).rejects.toThrow(/LOGBOOK_LOG_LEVEL must be one of/);
  });

  it("the option filters a caller's logger; the environment leaves it alone", () => {
    const seen: string[] = [];
    const logger: Logger = { log: (_l, message) => void seen.push(message) };
    process.env.LOGBOOK_LOG_LEVEL = 'error';
    resolve({ logger }).logger.log('info', 'kept');
    resolve({ logger, logLevel: 'warn' }).logger.log('info', 'dropped');
    expect(seen).toEqual(['kept']);
  });
});
