/** The executor: consumer-group membership, partition slots and owners, graceful stop. */

export type { AdminOptions } from '../admin/admin-config.js';
export type { AdminAddress } from '../admin/admin-server.js';
export type { ExecutorView, PartitionReport } from '../admin/executor-view.js';
export { type Logger, type LogLevel, silentLogger, stderrLogger } from '../logging/index.js';
export { Executor } from './executor.js';
export {
  defaultBrokers,
  defaultLimits,
  defaultNamespace,
  type ExecutorConfig,
  type ExecutorOptions,
  type LimitOptions,
  mergeLimits,
} from './executor-options.js';
