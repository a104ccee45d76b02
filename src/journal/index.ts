/** Journal record kinds, codecs and topic names. */
export {
  decodeRecord,
  encodeRecord,
  JOURNAL_SCHEMA_FINGERPRINT,
  JOURNAL_SCHEMA_HEADER,
  JOURNAL_SCHEMA_HEADER_VALUE,
} from './codec.js';
export { EpochFilter, epochOfClaimAt } from './epoch.js';
export { JournalDecodeError, JournalEncodeError } from './journal-codec-error.js';
export type { ErrorData, JsonValue } from './json.js';
export { jsonBytes, parseJsonBytes } from './json-bytes.js';
export {
  type BodyOf,
  type ChildOutcome,
  JOURNAL_SCHEMA_VERSION,
  type JournalRecord,
  type ParentRef,
  RECORD_KINDS,
  type RecordBody,
  type RecordKind,
  TERMINAL_RECORD_KINDS,
  type TimerPurpose,
  type TraceContext,
} from './records.js';
export { type TopicNames, topicNames } from './topic-names.js';
export {
  type JournalProblem,
  type JournalReport,
  JournalVerifier,
  PROBLEMS_MAX,
  verifyJournal,
} from './verify.js';
