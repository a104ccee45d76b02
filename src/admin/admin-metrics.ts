/**
 * The executor's Prometheus metrics (`GET /metrics`): counters and histograms fed by the owners' tick
 * observer (tick-observer.ts, folded by metric-fold.ts), and gauges read from the partitions' reports when
 * a scrape comes.
 *
 * I1. One Registry per executor, never prom-client's global one: several executors in one process (tests,
 *     an embedding app) each answer their own figures.
 * I2. Counters move only from what ticks committed (metric-fold.ts I1).
 * I3. Bounded: a metric holds at most SERIES_PER_METRIC_MAX label sets; samples past it are counted under
 *     OTHER_LABEL, so a step named after its input cannot grow the scrape (or memory) without bound.
 * I4. The observer never throws into an owner (tick-observer.ts I2): a failure to fold is logged.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/index.js';
import type { CommittedTick, TickObserver } from '../partition/index.js';
import type { PartitionReport } from './executor-view.js';
import { type MetricSample, type TickMetric, tickSamples } from './metric-fold.js';

/** Label sets one metric holds at most (I3). */
export const SERIES_PER_METRIC_MAX = 1_000;
/** The label value samples past SERIES_PER_METRIC_MAX are counted under (I3). */
export const OTHER_LABEL = '_other';
/** Buckets of the step duration histogram, in seconds. */
const STEP_SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300];
/** Buckets of the tick commit latency histogram, in seconds. */
const COMMIT_SECONDS_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5];
/** Buckets of the records-per-tick histogram. */
const RECORDS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 5_000];

type Apply = (labels: Readonly<Record<string, string>>, value: number) => void;

/** The executor's metrics: a TickObserver for its owners, and a registry to scrape. */
export class AdminMetrics implements TickObserver {
  readonly registry = new Registry(); // I1
  private readonly apply: { readonly [M in TickMetric]: Apply };
  private readonly series = new Map<TickMetric, Set<string>>();

  constructor(
    partitions: () => ReadonlyMap<number, PartitionReport>,
    private readonly logger: Logger,
  ) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[]): Apply => {
      const c = new Counter({ name: `logbook_${name}`, help, labelNames, registers });
      return (labels, value) => c.inc(labels, value);
    };
    const histogram = (name: string, help: string, labelNames: string[], buckets: number[]): Apply => {
      const h = new Histogram({ name: `logbook_${name}`, help, labelNames, buckets, registers });
      return (labels, value) => h.observe(labels, value);
    };
    const byWorkflow = ['workflow'];
    this.apply = {
      workflowsStarted: counter(
        'workflows_started_total',
        'Workflows started (WorkflowStarted).',
        byWorkflow,
      ),
      workflowsCompleted: counter('workflows_completed_total', 'Workflows completed.', byWorkflow),
      workflowsFailed: counter('workflows_failed_total', 'Workflows failed.', byWorkflow),
      workflowsCancelled: counter('workflows_cancelled_total', 'Workflows cancelled.', byWorkflow),
      workflowsStuck: counter(
        'workflows_stuck_total',
        'Workflows parked as stuck (WorkflowStuck).',
        byWorkflow,
      ),
      stepAttempts: counter(
        'step_attempts_total',
        'Step attempts by outcome: completed, retried (failed, a retry scheduled) or failed for good.',
        ['workflow', 'step', 'outcome'],
      ),
      stepDurationSeconds: histogram(
        'step_duration_seconds',
        'Duration of step attempts (StepCompleted and StepFailed durationMs).',
        ['workflow', 'step'],
        STEP_SECONDS_BUCKETS,
      ),
      deadLetters: counter('dead_letters_total', 'Commands sent to the DLQ, by code.', ['code']),
      tickCommitSeconds: histogram(
        'tick_commit_seconds',
        "Latency of a tick's write (transaction or single produce).",
        [],
        COMMIT_SECONDS_BUCKETS,
      ),
      tickRecords: histogram('tick_records', 'Journal records per committed tick.', [], RECORDS_BUCKETS),
    };
    this.gauges(partitions);
  }

  /** Gauges read from the partitions' reports at scrape time. */
  private gauges(partitions: () => ReadonlyMap<number, PartitionReport>): void {
    const registers = [this.registry];
    new Gauge({
      name: 'logbook_catch_up_lag_records',
      help: 'Journal records a partition still has to catch up (0 once its owner runs).',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset();
        for (const [p, r] of partitions()) this.set({ partition: String(p) }, catchUpLag(r));
      },
    });
    new Gauge({
      name: 'logbook_timers_pending',
      help: 'Pending timers of a partition (sleeps, retries, signal deadlines), in memory or in the cache.',
      labelNames: ['partition'],
      registers,
      collect() {
        this.reset();
        for (const [p, r] of partitions()) this.set({ partition: String(p) }, r.timersPending);
      },
    });
    new Gauge({
      name: 'logbook_partitions_owned',
      help: 'Partitions whose owner runs on this executor.',
      registers,
      collect() {
        this.set([...partitions().values()].filter((r) => r.phase === 'running').length);
      },
    });
    new Gauge({
      name: 'logbook_owners_failing',
      help: 'Partition owners failing now (backing off after failed writes, or replaced after a failure).',
      registers,
      collect() {
        this.set([...partitions().values()].filter(isFailing).length);
      },
    });
  }

  /** The tick observer (I2, I4). */
  tickCommitted(tick: CommittedTick): void {
    try {
      for (const sample of tickSamples(tick)) this.record(sample);
    } catch (error) {
      this.logger.log('error', 'could not fold a tick into the metrics', {
        partition: tick.partition,
        error: errorMessage(error),
      });
    }
  }

  private record(sample: MetricSample): void {
    let seen = this.series.get(sample.metric);
    if (seen === undefined) {
      seen = new Set();
      this.series.set(sample.metric, seen);
    }
    let labels = sample.labels;
    const key = JSON.stringify(labels);
    if (!seen.has(key)) {
      if (seen.size < SERIES_PER_METRIC_MAX) seen.add(key);
      else labels = Object.fromEntries(Object.keys(labels).map((k) => [k, OTHER_LABEL])); // I3
    }
    this.apply[sample.metric](labels, sample.value);
  }

  /** The Prometheus text of every metric. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Records a partition still has to catch up: 0 once running, or while the claim's target is unknown. */
export function catchUpLag(report: PartitionReport): number {
  if (report.phase !== 'starting' || report.catchUpEndOffset < 0) return 0;
  return Math.max(0, report.catchUpEndOffset - 1 - report.catchUpOffset);
}

/** True for a partition whose owner is failing: backing off writes, or its slot backing off. */
export function isFailing(report: PartitionReport): boolean {
  return report.failing !== null || report.slot === 'backoff';
}
