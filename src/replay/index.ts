/** Workflow bodies run against their history: live runs, replay, deterministic randomness. */
export { DeterministicRandom } from './deterministic-random.js';
export { compensationRetry, defaultRetry, type StepRequest, stepRequest } from './step-request.js';
export { type RecordedCall, type RunSink, WorkflowRun } from './workflow-run.js';
