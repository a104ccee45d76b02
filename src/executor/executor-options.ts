/**
 * Executor options as users pass them, and their resolution into one typed config with defaults that
 * work with `logbook dev` (DESIGN §8). Durations and lists are converted here, once.
 */
import { hostname } from 'node:os';
import { type AdminConfig, type AdminOptions, resolveAdminOptions } from '../admin/admin-config.js';
import { ConfigError } from '../errors.js';
import { parseBrokers } from '../kafka/index.js';
import { filteredLogger, type Logger, type LogLevel, parseLogLevel, stderrLogger } from '../logging/index.js';
import type { MachineLimits } from '../machine/index.js';
import { defaultOwnerLimits, type OwnerLimits } from '../partition/index.js';
import type { RunLimits } from '../replay/index.js';
import { type AnyWorkflowDefinition, isWorkflowDefinition } from '../workflow/index.js';

/** Owner limits as users pass them: any subset, the nested machine and run limits too. */
export type LimitOptions = Partial<Omit<OwnerLimits, 'machine' | 'run'>> & {
  readonly machine?: Partial<MachineLimits>;
  readonly run?: Partial<RunLimits>;
};

/** Options of `new Executor(…)`; the admin server's (`adminPort`, `adminHost`, `adminToken`) in AdminOptions. */
export interface ExecutorOptions extends AdminOptions {
  /** Broker list; default LOGBOOK_BROKERS, else the `logbook dev` broker 127.0.0.1:9092. */
  readonly brokers?: readonly string[] | string;
  /** Topic prefix; default LOGBOOK_NAMESPACE, else `logbook`. */
  readonly namespace?: string;
  /** The workflows this executor runs: a list, or a module's exports (non-workflow exports are ignored). */
  readonly workflows: readonly AnyWorkflowDefinition[] | Readonly<Record<string, unknown>>;
  /** LevelDB directory of this node's cache; default `.logbook/state`. */
  readonly stateDir?: string;
  /** Partitions of the namespace's topics when this executor creates them; default 6. */
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly executorId?: string;
  /** Consumer-group session timeout: how long a dead executor keeps its partitions. Default 15 s (broker minimum 6 s). */
  readonly sessionTimeoutMs?: number;
  readonly limits?: LimitOptions;
  /** Where log lines go; default JSON lines on stderr (pino). */
  readonly logger?: Logger;
  /**
   * Lowest level logged: `debug`, `info`, `warn` or `error`. Default LOGBOOK_LOG_LEVEL, else `info`; the
   * environment sets only the default logger, this option filters a given `logger` too.
   */
  readonly logLevel?: LogLevel | string;
}

/** Fully resolved executor configuration. */
export interface ExecutorConfig {
  readonly brokers: readonly string[];
  readonly namespace: string;
  readonly workflows: ReadonlyMap<string, AnyWorkflowDefinition>;
  readonly stateDir: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly executorId: string;
  readonly sessionTimeoutMs: number;
  readonly limits: OwnerLimits;
  readonly logger: Logger;
  readonly logLevel: LogLevel;
  /** The admin server's config; undefined: no admin server. */
  readonly admin: AdminConfig | undefined;
}

/**
 * Default limits of a partition owner (LOGBOOK_TICK_LINGER_MS sets the linger, for benchmarks;
 * LOGBOOK_CACHE_STAGE_MS how long committed ticks wait for the cache, for tests of a killed executor;
 * LOGBOOK_WRITE_PATH and LOGBOOK_EVENTS_AFTER_JOURNAL the write path, owner-config.ts).
 */
export const defaultLimits: OwnerLimits = {
  ...defaultOwnerLimits,
  tickLingerMs: Number(process.env.LOGBOOK_TICK_LINGER_MS ?? defaultOwnerLimits.tickLingerMs),
  cacheStageMs: Number(process.env.LOGBOOK_CACHE_STAGE_MS ?? defaultOwnerLimits.cacheStageMs),
  singleProduceTicks: process.env.LOGBOOK_WRITE_PATH !== 'transactional',
  eventsAfterJournal: process.env.LOGBOOK_EVENTS_AFTER_JOURNAL !== 'off',
};

/** `defaults` with `given` over them, the nested limits merged too. */
export function mergeLimits(given: LimitOptions = {}, defaults: OwnerLimits = defaultLimits): OwnerLimits {
  return {
    ...defaults,
    ...given,
    machine: { ...defaults.machine, ...given.machine },
    run: { ...defaults.run, ...given.run },
  };
}

/** The default broker list: LOGBOOK_BROKERS, else the `logbook dev` broker. */
export function defaultBrokers(): string[] {
  return parseBrokers(process.env.LOGBOOK_BROKERS ?? '127.0.0.1:9092');
}

/** The default namespace: LOGBOOK_NAMESPACE, else `logbook`. */
export function defaultNamespace(): string {
  return process.env.LOGBOOK_NAMESPACE ?? 'logbook';
}

function workflowMap(workflows: ExecutorOptions['workflows']): Map<string, AnyWorkflowDefinition> {
  const list = Array.isArray(workflows) ? workflows : Object.values(workflows).filter(isWorkflowDefinition);
  const map = new Map<string, AnyWorkflowDefinition>();
  for (const definition of list as readonly AnyWorkflowDefinition[]) {
    if (map.has(definition.name)) throw new ConfigError(`two workflows are named "${definition.name}".`);
    map.set(definition.name, definition);
  }
  return map;
}

/** The level and logger of `options`: the option, else LOGBOOK_LOG_LEVEL, else info; bad names are a ConfigError. */
function resolveLogging(options: ExecutorOptions): { logLevel: LogLevel; logger: Logger } {
  const env = process.env.LOGBOOK_LOG_LEVEL;
  const logLevel =
    options.logLevel !== undefined
      ? parseLogLevel(options.logLevel, 'logLevel')
      : env === undefined || env === ''
        ? 'info'
        : parseLogLevel(env, 'LOGBOOK_LOG_LEVEL');
  if (options.logger === undefined) return { logLevel, logger: stderrLogger(logLevel) };
  const logger = options.logLevel === undefined ? options.logger : filteredLogger(options.logger, logLevel);
  return { logLevel, logger };
}

/** Resolves options into a config, with defaults and checks. */
export function resolveExecutorOptions(options: ExecutorOptions): ExecutorConfig {
  const brokers =
    typeof options.brokers === 'string'
      ? parseBrokers(options.brokers)
      : [...(options.brokers ?? defaultBrokers())];
  const partitions = options.partitions ?? 6;
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new ConfigError(`partitions must be a positive integer, not ${partitions}.`);
  if (brokers.length === 0) throw new ConfigError('no brokers given; set LOGBOOK_BROKERS or pass brokers.');
  return {
    brokers,
    namespace: options.namespace ?? defaultNamespace(),
    workflows: workflowMap(options.workflows),
    stateDir: options.stateDir ?? '.logbook/state',
    partitions,
    replicationFactor: options.replicationFactor ?? 1,
    executorId: options.executorId ?? `${hostname()}-${process.pid}`,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 15_000,
    limits: mergeLimits(options.limits),
    ...resolveLogging(options),
    admin: resolveAdminOptions(options),
  };
}
