/** The executor: consumer-group membership, partition owners, graceful stop. */
export { Executor } from './executor.js';
export {
  defaultBrokers,
  defaultLimits,
  defaultNamespace,
  type ExecutorConfig,
  type ExecutorOptions,
} from './executor-options.js';
export { type Logger, type LogLevel, stderrLogger } from './logger.js';
