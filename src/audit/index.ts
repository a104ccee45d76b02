/**
 * Journal tools' pure parts: the timeline, time travel, the code check against recorded histories and
 * the workflow list fold. They take decoded records (from kafka/journal-stream.ts) and return text or
 * JSON; the CLI (src/cli/journal-*.ts, list-command.ts) does the I/O.
 */
export { CodeCheck, type CodeCheckFilter, type CodeCheckReport, DIVERGENCES_MAX } from './code-check.js';
export { checkHistory, type Divergence, SETTLE_TURNS } from './history-check.js';
export {
  describeSnapshot,
  type JournalPoint,
  PointInTimeFold,
  type WorkflowSnapshot,
} from './point-in-time.js';
export {
  lineParts,
  SUMMARY_CHARS_MAX,
  summarize,
  TIMELINE_HEADER,
  timelineEnding,
  timelineLine,
} from './timeline.js';
export {
  compareSummaries,
  type ListFilter,
  matchesFilter,
  mergeSummaries,
  summaryOfState,
  WorkflowListFold,
} from './workflow-list.js';
