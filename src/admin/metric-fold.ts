/**
 * Folds what a committed tick wrote (tick-observer.ts) into metric samples: which counter goes up by how
 * much, which histogram observes what, with which labels. Pure, so it is tested without a registry or a
 * broker; admin-metrics.ts applies the samples to prom-client.
 *
 * I1. One sample per journal record of a counted kind and per dead letter: summed over every executor,
 *     the counters equal what the journal holds (catch-up never folds here: its records were counted by
 *     the executor that wrote them).
 * I2. A record of a workflow whose name the tick did not know is labelled UNKNOWN_WORKFLOW, never dropped.
 */
import type { JournalRecord } from '../journal/index.js';
import type { CommittedTick } from '../partition/index.js';

/** The label of a workflow whose name was not known (I2). */
export const UNKNOWN_WORKFLOW = '_unknown';

/** The metrics a tick feeds, by their key in admin-metrics.ts. */
export type TickMetric =
  | 'workflowsStarted'
  | 'workflowsCompleted'
  | 'workflowsFailed'
  | 'workflowsCancelled'
  | 'workflowsStuck'
  | 'stepAttempts'
  | 'stepDurationSeconds'
  | 'deadLetters'
  | 'tickCommitSeconds'
  | 'tickRecords';

/** How a step attempt ended: completed, failed with a retry scheduled, or failed for good. */
export type StepOutcome = 'completed' | 'retried' | 'failed';

/** One increment (counters) or observation (histograms). */
export interface MetricSample {
  readonly metric: TickMetric;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The counter a workflow-ending (or parking) record kind feeds. */
const OUTCOME_COUNTERS: Readonly<Record<string, TickMetric>> = {
  WorkflowCompleted: 'workflowsCompleted',
  WorkflowFailed: 'workflowsFailed',
  WorkflowCancelled: 'workflowsCancelled',
  WorkflowStuck: 'workflowsStuck',
};

/** The samples of one record (I1). */
export function recordSamples(record: JournalRecord, workflow: string): MetricSample[] {
  const body = record.body;
  switch (body.kind) {
    case 'WorkflowStarted':
      return [{ metric: 'workflowsStarted', labels: { workflow: body.workflow }, value: 1 }];
    case 'StepCompleted':
    case 'StepFailed': {
      const outcome: StepOutcome =
        body.kind === 'StepCompleted' ? 'completed' : body.retryAtMs === null ? 'failed' : 'retried';
      const step = { workflow, step: body.name };
      return [
        { metric: 'stepAttempts', labels: { ...step, outcome }, value: 1 },
        { metric: 'stepDurationSeconds', labels: step, value: body.durationMs / 1000 },
      ];
    }
    default: {
      const counter = OUTCOME_COUNTERS[body.kind];
      return counter === undefined ? [] : [{ metric: counter, labels: { workflow }, value: 1 }];
    }
  }
}

/** Every sample of a committed tick (I1). */
export function tickSamples(tick: CommittedTick): MetricSample[] {
  const samples: MetricSample[] = [
    { metric: 'tickCommitSeconds', labels: {}, value: tick.writeMs / 1000 },
    { metric: 'tickRecords', labels: {}, value: tick.records.length },
  ];
  for (const record of tick.records) {
    const workflow = tick.workflowNames.get(record.workflowId) ?? UNKNOWN_WORKFLOW; // I2
    samples.push(...recordSamples(record, workflow));
  }
  for (const dead of tick.deadLetters)
    samples.push({ metric: 'deadLetters', labels: { code: dead.code }, value: 1 });
  return samples;
}
