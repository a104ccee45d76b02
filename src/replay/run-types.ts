/** The shapes a WorkflowRun shares with its owner: where it reports, its limits, what it keeps per call. */
import type { Intent } from '../machine/index.js';
import type { StepInfo } from '../workflow/index.js';

/** Where a run reports what its body asks for, in the order the body asks. */
export interface RunSink {
  intent(intent: Intent): void;
}

/** Limits a run checks at the call, before anything reaches a tick (each crossing fails that call). */
export interface RunLimits {
  /** Largest child input, as JSON bytes; it must fit a command on the child's partition. */
  readonly childInputBytesMax: number;
  /** Largest `ctx.emit` key plus value, in bytes (the topic's own limit is checked by the owner too). */
  readonly emitBytesMax: number;
  /** Largest workflow result, as JSON bytes; it must fit a tick's journal batch. */
  readonly workflowResultBytesMax: number;
  /** Completed steps with a `compensate` a run keeps; a step beyond it is rejected. */
  readonly compensationsMax: number;
}

/** Defaults, sized so that no single value can outgrow a tick (owner-config.ts tickBytesMax). */
export const defaultRunLimits: RunLimits = {
  childInputBytesMax: 200 * 1024,
  emitBytesMax: 900 * 1024,
  workflowResultBytesMax: 256 * 1024,
  compensationsMax: 10_000,
};

/** A completed step's undo, kept in completion order so compensations run in reverse. */
export interface Compensable {
  readonly name: string;
  readonly callSeq: number;
  readonly fn: (info: StepInfo) => unknown;
}
