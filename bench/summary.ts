/** The benchmark's per-round figures, read against the journal, and the summary set beside the targets. */
import type { JournalRecord } from '../src/journal/index.js';
import type { Floor } from './floor.js';
import { median, percentiles, round } from './stats.js';
import type { sequential, throughput } from './w1-runs.js';

/** What one round measured. */
export interface Round {
  readonly floor: Floor;
  readonly latencyIds: string[];
  readonly latencies: number[];
  readonly stepMs: number;
  readonly seqCpu: Awaited<ReturnType<typeof sequential>>['cpuMsPerWorkflow'];
  /** Ticks written a sequential workflow (D40), when counted. */
  readonly seqTicks: number | undefined;
  readonly tp: Awaited<ReturnType<typeof throughput>>;
}

/** Per-step gaps and journal start-to-completed times of the workflows `ids`, from the journal. */
function journalFigures(journal: Map<string, number[][]>, ids: readonly string[]) {
  const stepGaps: number[] = [];
  const startToEnd: number[] = [];
  for (const id of ids) {
    const [all = [], steps = []] = journal.get(id) ?? [];
    for (let s = 1; s < steps.length; s++) stepGaps.push((steps[s] ?? 0) - (steps[s - 1] ?? 0));
    const first = all[0];
    const last = all.at(-1);
    if (first !== undefined && last !== undefined) startToEnd.push(last - first);
  }
  return { stepGaps, startToEnd };
}

/** Record times by workflow id: [all records, StepCompleted records]. */
function indexJournal(records: readonly JournalRecord[]): Map<string, number[][]> {
  const journal = new Map<string, number[][]>();
  for (const r of records) {
    let entry = journal.get(r.workflowId);
    if (entry === undefined) {
      entry = [[], []];
      journal.set(r.workflowId, entry);
    }
    entry[0]?.push(r.atMs);
    if (r.body.kind === 'StepCompleted') entry[1]?.push(r.atMs);
  }
  return journal;
}

/** Each round's figures, with what the journal says of its sequential workflows. */
export function roundFigures(rounds: readonly Round[], records: readonly JournalRecord[]) {
  const journal = indexJournal(records);
  return rounds.map((r) => {
    const { stepGaps, startToEnd } = journalFigures(journal, r.latencyIds);
    return {
      floor: r.floor,
      w1Latency: {
        endToEndMs: percentiles(r.latencies),
        journalStartToCompletedMs: percentiles(startToEnd),
        perStepMs: round(r.stepMs),
        perStepJournalGapMs: percentiles(stepGaps),
        perStepOverIdempotentProduce: round(r.stepMs / r.floor.idempotentProduceMs.p50),
        perStepOverRawTxnCommit: round(r.stepMs / r.floor.rawTxnWithOffsetsMs.p50),
        cpuMsPerWorkflow: r.seqCpu,
        ...(r.seqTicks === undefined ? {} : { ticksPerWorkflow: r.seqTicks }),
      },
      w1Throughput: r.tp,
    };
  });
}

/** The medians of the rounds after the first (all of them if there is one), beside the targets. */
export function summarize(perRound: ReturnType<typeof roundFigures>, idleCpuMsPerSec: number | undefined) {
  const settled = perRound.length > 1 ? perRound.slice(1) : perRound;
  const pick = (f: (r: (typeof perRound)[number]) => number | undefined): number | undefined =>
    median(settled.map(f).filter((v): v is number => v !== undefined));
  return {
    rounds: settled.length,
    perStepOverIdempotentProduce: { value: pick((r) => r.w1Latency.perStepOverIdempotentProduce), max: 2 },
    w1EndToEndP50Ms: { value: pick((r) => r.w1Latency.endToEndMs.p50), max: 5 },
    w1EndToEndP99Ms: { value: pick((r) => r.w1Latency.endToEndMs.p99), max: 15 },
    workflowsPerSec: { value: pick((r) => r.w1Throughput.workflowsPerSec), min: 1_500 },
    cpuMsPerSequentialWorkflow: {
      value: pick((r) => r.w1Latency.cpuMsPerWorkflow.total),
      max: 5,
      ofItBrokerJit: pick((r) => r.w1Latency.cpuMsPerWorkflow.brokerJit),
    },
    cpuMsPerWorkflowAtThroughput: {
      value: pick((r) => r.w1Throughput.cpuMsPerWorkflow.total),
      max: 1.2,
      ofItBrokerJit: pick((r) => r.w1Throughput.cpuMsPerWorkflow.brokerJit),
    },
    idleCpuMsPerSec: { value: idleCpuMsPerSec, max: 20 },
  };
}
