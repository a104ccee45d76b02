/**
 * The pure state machine: `applyRecord` folds journal records into state, `decide` turns an input into
 * effects. No I/O, no clock, no randomness (STYLE §1; lint enforces it for this folder).
 */
export { applyRecord } from './apply.js';
export { assertBug, assertNever, InvariantError } from './assert.js';
export { type DecideContext, decide } from './decide.js';
export { type DeadLetter, type Effects, type Emit, noEffects, type WorkflowEvent } from './effects.js';
export type { Input, InputKind, Intent, RawMessage, RetryPolicy, StepOutcome } from './inputs.js';
export { RETRY_JITTER, retryDelayMs } from './retry-delay.js';
export {
  type CallKind,
  type CallState,
  COMPENSATION_PREFIX,
  isCompensationStep,
  isTerminal,
  type MailboxSignal,
  type PartitionState,
  type PendingTimer,
  type WorkflowState,
  type WorkflowStatus,
} from './state.js';
export { transition } from './transition.js';
