/**
 * Log lines about workflows, written once a tick has committed: what happened to each workflow, at debug,
 * and a stuck workflow at warn (it needs an operator). Every line names the workflow (owner.ts I9).
 *
 * I1. Off the hot path: with debug off (the default), a tick costs one pass over its record kinds and
 *     builds no field objects unless a workflow got stuck.
 * I2. Lines follow the commit, so a logged event happened: an aborted tick logs nothing.
 */
import type { JournalRecord } from '../journal/index.js';
import { type Logger, levelEnabled, workflowFields } from '../logging/index.js';
import type { WorkflowState } from '../machine/index.js';

/** Logs what a committed tick's `records` did to their workflows (I1, I2). */
export function logCommitted(
  logger: Logger,
  records: readonly JournalRecord[],
  stateOf: (id: string) => WorkflowState | undefined,
): void {
  const debug = levelEnabled(logger, 'debug');
  for (const record of records) {
    const { body, workflowId } = record;
    if (workflowId === '' || (!debug && body.kind !== 'WorkflowStuck')) continue;
    const fields = () => workflowFields(workflowId, stateOf(workflowId)?.workflow);
    switch (body.kind) {
      case 'WorkflowStuck':
        logger.log('warn', 'workflow stuck', { ...fields(), seq: record.seq, error: body.error.message });
        break;
      case 'WorkflowStarted':
        logger.log('debug', 'workflow started', { ...workflowFields(workflowId, body.workflow) });
        break;
      case 'WorkflowCompleted':
        logger.log('debug', 'workflow completed', { ...fields(), seq: record.seq });
        break;
      case 'WorkflowFailed':
        logger.log('debug', 'workflow failed', { ...fields(), seq: record.seq, error: body.error.message });
        break;
      case 'WorkflowCancelled':
        logger.log('debug', 'workflow cancelled', { ...fields(), seq: record.seq, reason: body.reason });
        break;
      case 'StepFailed':
        logger.log('debug', 'step attempt failed', {
          ...fields(),
          step: body.name,
          callSeq: body.callSeq,
          attempt: body.attempt,
          error: body.error.message,
          retryAtMs: body.retryAtMs,
        });
        break;
      case 'CommandRejected':
        logger.log('debug', 'command rejected', { ...fields(), code: body.code, reason: body.reason });
        break;
      default:
        break;
    }
  }
}
