/** The peers benchmark's summary: each system's medians, and Logbook's ratio to each peer round by round. */
import { median, round } from '../stats.js';
import type { PeerSystem } from './sdks.js';

/** What one round of one system gave (run.ts). */
export interface RoundFigures {
  readonly w1: { readonly p50: number; readonly p99: number };
  readonly cpuMsPerSequentialWorkflow: { readonly total: number };
  readonly workflowsPerSec: number;
  readonly cpuMsPerWorkflowAtThroughput: { readonly total: number };
}

/** The figures the issue names, read off a round. */
const FIGURES = {
  w1P50Ms: (x: RoundFigures) => x.w1.p50,
  w1P99Ms: (x: RoundFigures) => x.w1.p99,
  workflowsPerSec: (x: RoundFigures) => x.workflowsPerSec,
  cpuMsPerSequentialWorkflow: (x: RoundFigures) => x.cpuMsPerSequentialWorkflow.total,
  cpuMsPerWorkflowAtThroughput: (x: RoundFigures) => x.cpuMsPerWorkflowAtThroughput.total,
} as const;

type Figure = keyof typeof FIGURES;

const mid = (xs: readonly number[]): number => median(xs) ?? Number.NaN;

const each = (f: (figure: Figure, read: (x: RoundFigures) => number) => number): Record<Figure, number> =>
  Object.fromEntries(
    Object.entries(FIGURES).map(([figure, read]) => [figure, f(figure as Figure, read)]),
  ) as Record<Figure, number>;

/**
 * Each system's median of every figure over the rounds, and, for each peer, the median of each round's own
 * Logbook ÷ peer ratio: a round's systems ran minutes apart, so the host's drift over a run falls on both
 * sides of a round's ratio and not on the medians' (bench:ab does the same, D36).
 */
export function summarize(rounds: ReadonlyMap<PeerSystem, readonly RoundFigures[]>) {
  const medians: Record<string, Record<Figure, number>> = {};
  for (const [system, rs] of rounds) medians[system] = each((_, read) => mid(rs.map(read)));
  const ours = rounds.get('logbook') ?? [];
  const ratios: Record<string, Record<Figure, number>> = {};
  for (const [system, theirs] of rounds) {
    if (system === 'logbook' || ours.length === 0) continue;
    const byRound = (read: (x: RoundFigures) => number): number[] =>
      ours.flatMap((x, r) => {
        const peer = theirs[r];
        return peer === undefined ? [] : [read(x) / read(peer)];
      });
    ratios[`logbookOver${system[0]?.toUpperCase()}${system.slice(1)}`] = each((_, read) =>
      round(mid(byRound(read))),
    );
  }
  return { medians, ratios };
}
