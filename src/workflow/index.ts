/** The workflow user API: definitions, the context, durations and the errors a body sees. */
export { type Duration, toMs } from './duration.js';
export {
  CancelledError,
  fromErrorData,
  NonDeterminismError,
  TerminalError,
  TimeoutError,
  toErrorData,
  WorkflowError,
} from './errors.js';
export {
  type AnyWorkflowDefinition,
  isWorkflowDefinition,
  type RetryOptions,
  type StepInfo,
  type StepOptions,
  type WorkflowBody,
  type WorkflowContext,
  type WorkflowDefinition,
  workflow,
} from './workflow.js';
