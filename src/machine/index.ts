/**
 * The pure state machine: `applyRecord` folds journal records into state, `decide` turns an input into
 * effects. No I/O, no clock, no randomness (STYLE §1; lint enforces it for this folder).
 */
export { applyRecord, newWorkflowState, type TimerObserver } from './apply.js';
export { assertBug, assertNever, InvariantError } from './assert.js';
export type { Command, CommandType } from './command.js';
export { type DecideContext, decide } from './decide.js';
export {
  type DeadLetter,
  type Effects,
  type Emit,
  noEffects,
  type StepAttempt,
  type TimerNotDue,
  type WorkflowEvent,
  writesNothing,
} from './effects.js';
export {
  type CallIntent,
  type Input,
  type InputKind,
  type Intent,
  inputWorkflowId,
  type RawMessage,
  type RetryPolicy,
  type StepOutcome,
} from './inputs.js';
export { cancelledError, defaultMachineLimits, limitError, type MachineLimits } from './limits.js';
export { fitsLength, idProblem, NAME_LENGTH_MAX, nameProblem } from './names.js';
export { RETRY_JITTER, retryDelayMs } from './retry-delay.js';
export {
  ATTEMPT_ERRORS_MAX,
  type AttemptError,
  CALL_KINDS,
  type CallKind,
  COMPENSATION_PREFIX,
  isClosedCall,
  isCompensationStep,
  isTerminal,
  isWakeable,
  type JournalPosition,
  type MailboxSignal,
  type OpenCall,
  type PartitionState,
  type PendingTimer,
  RECENT_CALLS_MAX,
  type RecentCall,
  type WorkflowState,
  type WorkflowStatus,
} from './state.js';
export { transition } from './transition.js';
export { childResultFor, DESCRIBE_ITEMS_MAX, statusSummary, summaryOf } from './workflow-outcome.js';
