/**
 * The working parts of a partition owner (owner.ts), made and wired together: its step runner, timer
 * queue, runs and intake.
 *
 * I1. Every part reports to the owner's loop only through `enqueue` (owner.ts I1): a step's outcome, a due
 *     timer, a run that asks for its next call.
 * I2. Each part gets its limit from the owner's limits (owner.ts I5): steps in flight and queued, timers in
 *     memory, replays at once.
 */
import { errorMessage } from '../errors.js';
import { workflowFields } from '../logging/index.js';
import { StepRunner } from '../steps/index.js';
import { TimerQueue } from '../timers/index.js';
import type { HotSet } from './hot-set.js';
import type { Queued } from './inbox.js';
import { Intake } from './intake.js';
import type { OwnerDeps } from './owner-deps.js';
import type { Positions } from './positions.js';
import type { Quarantine } from './quarantine.js';
import { RunRegistry } from './run-registry.js';

/** What the parts share with their owner. */
export interface OwnerPartsInputs {
  readonly deps: OwnerDeps;
  readonly hot: HotSet;
  readonly positions: Positions;
  readonly quarantine: Quarantine;
  readonly enqueue: (item: Queued) => void;
}

/** The parts of one owner. */
export interface OwnerParts {
  readonly runner: StepRunner;
  readonly timers: TimerQueue;
  readonly runs: RunRegistry;
  readonly intake: Intake;
}

/** Makes the parts of the owner of `deps.partition` (I1, I2). */
export function makeOwnerParts({ deps, hot, positions, quarantine, enqueue }: OwnerPartsInputs): OwnerParts {
  const { limits, clock } = deps;
  let runs: RunRegistry | undefined; // made below; the runner reports only once runs exist
  const runner = new StepRunner(
    {
      stepsInFlightMax: limits.stepsInFlightMax,
      stepQueueMax: limits.stepQueueMax,
      resultBytesMax: limits.stepResultBytesMax,
    },
    (input) => {
      if (input.kind === 'stepOutcome') runs?.outcomeQueued(input.workflowId, input.callSeq);
      enqueue({ input });
    },
    () => clock.now(),
    deps.partition,
  );
  const timers = new TimerQueue(
    deps.cache,
    (due) => enqueue({ input: { kind: 'timerDue', ...due } }),
    clock,
    { heapMax: limits.timerHeapMax },
  );
  runs = new RunRegistry({
    hot,
    cache: deps.cache,
    workflows: deps.workflows,
    runner,
    limits: limits.run,
    resumesInFlightMax: limits.resumesInFlightMax,
    enqueue,
    now: () => clock.now(),
    onResumeError: (workflowId, error) =>
      deps.logger.log('error', 'could not replay a workflow', {
        ...workflowFields(workflowId, hot.state(workflowId)?.workflow),
        error: errorMessage(error),
      }),
  });
  const intake = new Intake({
    hot,
    runs,
    cache: deps.cache,
    catalog: deps.catalog,
    quarantine,
    nextCommandOffset: () => positions.nextCommandOffset,
    attemptRoom: () => runner.room(),
  });
  return { runner, timers, runs, intake };
}
