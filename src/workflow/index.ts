/** The workflow user API: definitions, the context, durations and the errors a body sees. */
export { type Duration, toMs } from './duration.js';
export {
  CancelledError,
  cutText,
  ERROR_DETAILS_BYTES_MAX,
  ERROR_MESSAGE_BYTES_MAX,
  ERROR_NAME_LENGTH_MAX,
  ERROR_STACK_BYTES_MAX,
  fromErrorData,
  KafkaRejectedError,
  LimitError,
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
