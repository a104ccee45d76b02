/**
 * Logbook's public API: define workflows, run executors, talk to them with a client.
 */
export { Client, type ClientOptions, type WorkflowDescription, type WorkflowHandle } from './client/index.js';
export { ErrorCode, LogbookError } from './errors.js';
export { Executor, type ExecutorOptions, type Logger, stderrLogger } from './executor/index.js';
export type { ErrorData, JsonValue, TraceContext } from './journal/index.js';
export { type LogLevel, type PinoLoggerOptions, pinoLogger } from './logging/index.js';
export { STEP_SPAN_ATTRIBUTES, TRACER_NAME, type TraceOptions } from './tracing/index.js';
export {
  CancelledError,
  type Duration,
  KafkaRejectedError,
  LimitError,
  NonDeterminismError,
  type RetryOptions,
  type StepInfo,
  type StepOptions,
  TerminalError,
  TimeoutError,
  type WorkflowContext,
  type WorkflowDefinition,
  WorkflowError,
  workflow,
} from './workflow/index.js';
