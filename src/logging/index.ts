/** Structured logging: the Logger every component writes to, the default pino one, and field binding. */
export {
  childLogger,
  filteredLogger,
  isLogLevel,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LogLevel,
  levelEnabled,
  parseLogLevel,
  silentLogger,
  workflowFields,
} from './logger.js';
export { fromPino, type PinoLoggerOptions, pinoLogger, stderrLogger } from './pino-logger.js';
