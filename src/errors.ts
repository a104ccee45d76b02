/**
 * Logbook's error taxonomy (STYLE §3). Every error the engine raises extends {@link LogbookError}
 * and carries a stable string `code`.
 *
 * I1. Codes reach journal records and DLQ headers: never rename or reuse one. Add new codes at the end.
 * I2. `retriable` says whether the same operation may succeed if tried again unchanged.
 */

/** Stable error codes. Never rename or reuse a value: they are persisted (I1). */
export const ErrorCode = {
  Prerequisite: 'LB_PREREQUISITE',
  BrokerStart: 'LB_BROKER_START',
  BrokerTimeout: 'LB_BROKER_TIMEOUT',
  PortInUse: 'LB_PORT_IN_USE',
  Config: 'LB_CONFIG',
  TopicMismatch: 'LB_TOPIC_MISMATCH',
  Kafka: 'LB_KAFKA',
  Fenced: 'LB_FENCED',
  Usage: 'LB_USAGE',
  // Bad commands (DLQ reasons).
  CommandNotDecodable: 'LB_CMD_NOT_DECODABLE',
  CommandBadJson: 'LB_CMD_BAD_JSON',
  CommandBadAvro: 'LB_CMD_BAD_AVRO',
  CommandUnknownType: 'LB_CMD_UNKNOWN_TYPE',
  CommandSchemaViolation: 'LB_CMD_SCHEMA_VIOLATION',
  CommandOversize: 'LB_CMD_OVERSIZE',
  CommandKeyMismatch: 'LB_CMD_KEY_MISMATCH',
  CommandUnknownWorkflow: 'LB_CMD_UNKNOWN_WORKFLOW',
  CommandNoSuchWorkflow: 'LB_CMD_NO_SUCH_WORKFLOW',
  CommandWorkflowFinished: 'LB_CMD_WORKFLOW_FINISHED',
  // Workflow execution.
  StepFailed: 'LB_STEP_FAILED',
  Terminal: 'LB_TERMINAL',
  Timeout: 'LB_TIMEOUT',
  Cancelled: 'LB_CANCELLED',
  NonDeterminism: 'LB_NON_DETERMINISM',
  RetriesExhausted: 'LB_RETRIES_EXHAUSTED',
  ChildFailed: 'LB_CHILD_FAILED',
  Bug: 'LB_BUG',
  // Journal codec.
  JournalDecode: 'LB_JOURNAL_DECODE',
  JournalEncode: 'LB_JOURNAL_ENCODE',
  // Limits and refusals (a body call or a workflow fails with these; see README "Limits").
  Limit: 'LB_LIMIT',
  EmitRejected: 'LB_EMIT_REJECTED',
  KafkaRejected: 'LB_KAFKA_REJECTED',
  CommandMailboxFull: 'LB_CMD_MAILBOX_FULL',
} as const;

/** One of the persisted {@link ErrorCode} values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options shared by every Logbook error. */
export interface LogbookErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/** Base of every error Logbook raises on purpose. */
export class LogbookError extends Error {
  override readonly name: string = 'LogbookError';
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: LogbookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A tool the local broker needs (Java 17+, Maven) is missing; the message says what to install. */
export class PrerequisiteError extends LogbookError {
  override readonly name = 'PrerequisiteError';
  constructor(message: string) {
    super(ErrorCode.Prerequisite, message);
  }
}

/** The local Kafka broker failed to start or to become ready in time. */
export class BrokerStartError extends LogbookError {
  override readonly name = 'BrokerStartError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.BrokerStart, message, options);
  }
}

/** Bad configuration or command-line usage, found before any I/O. */
export class ConfigError extends LogbookError {
  override readonly name = 'ConfigError';
  constructor(message: string) {
    super(ErrorCode.Config, message);
  }
}

/** Another producer with the same transactional id took over: this one must stop writing. */
export class FencedError extends LogbookError {
  override readonly name = 'FencedError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.Fenced, message, options);
  }
}

/** A write failed before it sent anything (the writer could not be made usable): its outcome is known. */
export class NotSentError extends LogbookError {
  override readonly name = 'NotSentError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.Kafka, message, { retriable: true, ...options });
  }
}

/**
 * A single-produce tick failed in a way that leaves its outcome unknown (ports.ts I3): the owner stops, and
 * its successor on this node claims anew, so a late-landing record of the failed produce is void.
 */
export class UnconfirmedWriteError extends LogbookError {
  override readonly name = 'UnconfirmedWriteError';
  constructor(message: string, options: LogbookErrorOptions = {}) {
    super(ErrorCode.Kafka, message, { retriable: true, ...options });
  }
}

/** Narrows an unknown thrown value to a message, for logs and error records. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
