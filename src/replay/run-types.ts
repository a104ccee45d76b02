/** The shapes a WorkflowRun shares with its owner: where it reports, and what it keeps per call. */
import type { CallKind, Intent } from '../machine/index.js';
import type { StepInfo } from '../workflow/index.js';
import type { StepRequest } from './step-request.js';

/** Where a run reports what its body asks for. */
export interface RunSink {
  intent(workflowId: string, intent: Intent): void;
  step(request: StepRequest): void;
}

/** A call as the journal recorded it, for the determinism check (workflow-run.ts I2). */
export interface RecordedCall {
  readonly kind: CallKind;
  readonly name: string;
}

/** A body call waiting for its committed outcome; compensation calls survive a cancel. */
export interface PendingCall {
  readonly kind: CallKind;
  readonly compensation: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A completed step's undo, kept in completion order so compensations run in reverse. */
export interface Compensable {
  readonly name: string;
  readonly callSeq: number;
  readonly fn: (info: StepInfo) => unknown;
}
