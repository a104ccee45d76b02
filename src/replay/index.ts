/** Workflow bodies run against their history: live runs, replay, call origins, deterministic randomness. */
export { type CallMatch, CallMatcher, type RecordedCall, recordedCall } from './call-matcher.js';
export { DeterministicRandom } from './deterministic-random.js';
export { runFromHistory } from './run-from-history.js';
export { type Compensable, defaultRunLimits, type RunLimits, type RunSink } from './run-types.js';
export {
  compensationRetry,
  defaultRetry,
  STEP_ATTEMPTS_MAX,
  type StepPolicy,
  type StepRequest,
  stepPolicy,
  stepRequest,
} from './step-request.js';
export { type Allocated, WorkflowRun } from './workflow-run.js';
