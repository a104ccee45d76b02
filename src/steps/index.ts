/** Step attempts: running, timeouts, retry classification. */
export { StepRunner, type StepRunnerLimits } from './step-runner.js';
