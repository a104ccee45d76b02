/**
 * The demo's live progress line and final summary, rendered from event counts.
 */

/** Counts of ended orders. */
export interface Tally {
  completed: number;
  compensated: number;
  failed: number;
  duplicates: number;
}

/** One progress line: a bar, the counts and the rate. */
export function progressLine(tally: Tally, total: number, elapsedMs: number): string {
  const done = tally.completed + tally.compensated + tally.failed;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const rate = elapsedMs > 0 ? Math.round((done * 1000) / elapsedMs) : 0;
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  return `${bar} ${String(done).padStart(String(total).length)}/${total}  completed ${tally.completed}  compensated ${tally.compensated}  failed ${tally.failed}  ${rate}/s`;
}

/** The closing summary. */
export function summary(
  tally: Tally,
  total: number,
  elapsedMs: number,
  takeoverMs: number | undefined,
): string {
  const done = tally.completed + tally.compensated + tally.failed;
  const lines = [
    '',
    'Summary',
    `  orders          ${total}`,
    `  completed       ${tally.completed}`,
    `  compensated     ${tally.compensated}   (card declined: payment failed, inventory reservation released)`,
    `  failed          ${tally.failed}   (sold out: nothing to undo)`,
    `  ended once each ${done === total && tally.duplicates === 0 ? 'yes' : `NO (${done} ended, ${tally.duplicates} duplicates)`}`,
    `  time            ${(elapsedMs / 1000).toFixed(1)} s${takeoverMs === undefined ? '' : `  (takeover after the kill: ${(takeoverMs / 1000).toFixed(1)} s)`}`,
  ];
  return lines.join('\n');
}
