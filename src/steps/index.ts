/** Step attempts: running, timeouts, retry classification. */
export { type AttemptTags, StepRunner, type StepRunnerLimits } from './step-runner.js';
