/**
 * Test support for the WorkflowRun tests (not a test file): a workflow's journal written the way the
 * partition owner writes it. The run's intents go through the real `decide`, the records it returns are
 * folded with the real `applyRecord` and handed back to the run one at a time with a `setImmediate`
 * between them (as run-registry.ts I1 delivers them), and step attempts run only once their StepStarted
 * is committed. Time is `nowMs`, advanced 10 ms per decision; nothing here reads a clock.
 */
import type { JournalRecord, JsonValue, RecordBody } from '../../src/journal/index.js';
import { JOURNAL_SCHEMA_VERSION } from '../../src/journal/index.js';
import {
  applyRecord,
  type Command,
  decide,
  defaultMachineLimits,
  type Effects,
  type Input,
  type Intent,
  type MachineLimits,
  type StepAttempt,
  type StepOutcome,
  type WorkflowState,
} from '../../src/machine/index.js';
import { defaultRunLimits, type RunLimits, type RunSink, WorkflowRun } from '../../src/replay/index.js';
import { type AnyWorkflowDefinition, TerminalError, toErrorData } from '../../src/workflow/index.js';

/** The time the journals of these tests start at. */
export const T0 = 1_700_000_000_000;

/** Lets bodies run until they wait again (their continuations are microtasks). */
export const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A sink that keeps every intent a run reports, in order. */
export class RecordingSink implements RunSink {
  readonly intents: Intent[] = [];
  private wake: (() => void) | undefined;

  intent(intent: Intent): void {
    this.intents.push(intent);
    this.wake?.();
    this.wake = undefined;
  }

  /** Resolves at the next intent (a body busy with its own I/O reports later). */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

/** `callSeq:type:name` for each intent that makes a call, e.g. `2:step:charge`. */
export function callsOf(intents: readonly Intent[]): string[] {
  return intents.flatMap((i) => {
    if (!('callSeq' in i)) return [];
    const name = 'name' in i ? i.name : i.type === 'child' ? i.workflow : i.type === 'emit' ? i.topic : '';
    return [`${i.callSeq}:${i.type}:${name}`];
  });
}

/** The ending intent (complete, fail, cancelled, stuck) a run reported, if any. */
export function endingOf(intents: readonly Intent[]): Intent | undefined {
  return intents.find((i) => !('callSeq' in i));
}

/** Options of a journal. */
export interface JournalOptions {
  readonly workflowId?: string;
  readonly input?: JsonValue;
  readonly runLimits?: Partial<RunLimits>;
  readonly machineLimits?: Partial<MachineLimits>;
}

/** One workflow, its journal and its live run. */
export class Journal {
  readonly state = new Map<string, WorkflowState>();
  readonly records: JournalRecord[] = [];
  readonly sink = new RecordingSink();
  /** Attempts decided and committed, not run yet. */
  readonly attempts: StepAttempt[] = [];
  readonly workflowId: string;
  nowMs = T0;
  run: WorkflowRun;
  private decided = 0;
  private readonly limits: MachineLimits;

  private constructor(
    readonly definition: AnyWorkflowDefinition,
    options: JournalOptions,
    history: readonly JournalRecord[],
  ) {
    this.workflowId = options.workflowId ?? 'w-1';
    this.limits = { ...defaultMachineLimits, ...options.machineLimits };
    for (const record of history) {
      applyRecord(this.state, record);
      this.records.push(record);
    }
    const started = history[0];
    if (started?.body.kind !== 'WorkflowStarted') throw new Error('a history starts with WorkflowStarted');
    this.nowMs = history.at(-1)?.atMs ?? T0;
    const limits = { ...defaultRunLimits, ...options.runLimits };
    const legacy = started.schemaVersion < 3;
    this.run = new WorkflowRun(
      definition,
      this.workflowId,
      started.body.input,
      started.atMs,
      legacy,
      this.sink,
      limits,
    );
    for (const record of history) this.run.addHistory(record);
  }

  /** A new workflow: the start command is decided, then the body runs. */
  static async live(definition: AnyWorkflowDefinition, options: JournalOptions = {}): Promise<Journal> {
    const id = options.workflowId ?? 'w-1';
    const command: Command = {
      type: 'start',
      workflow: definition.name,
      id,
      input: options.input ?? null,
      idempotency: null,
      parent: null,
    };
    const limits = { ...defaultMachineLimits, ...options.machineLimits };
    const ctx = { nowMs: T0, workflows: new Set([definition.name]), limits };
    const input: Input = { kind: 'command', command, offset: '0', raw: { key: null, value: null } };
    const effects = decide(new Map(), input, ctx);
    const journal = new Journal(definition, options, effects.records);
    await journal.replayHistory();
    return journal;
  }

  /** A run rebuilt from `history` (a takeover): history first, then each record delivered. */
  static async replay(
    definition: AnyWorkflowDefinition,
    history: readonly JournalRecord[],
    options: JournalOptions = {},
  ): Promise<Journal> {
    const journal = new Journal(
      definition,
      { ...options, workflowId: history[0]?.workflowId ?? 'w-1' },
      history,
    );
    await journal.replayHistory();
    return journal;
  }

  private async replayHistory(): Promise<void> {
    this.run.start();
    for (const record of this.records) {
      this.run.deliver(record);
      await drain();
    }
  }

  /** The workflow's machine state. */
  get ws(): WorkflowState {
    const ws = this.state.get(this.workflowId);
    if (ws === undefined) throw new Error(`no state for ${this.workflowId}`);
    return ws;
  }

  /** Decides one input at the next time step and commits its effects. */
  async decide(input: Input): Promise<Effects> {
    this.nowMs += 10;
    const ctx = { nowMs: this.nowMs, workflows: new Set([this.definition.name]), limits: this.limits };
    const effects = decide(this.state, input, ctx);
    await this.commit(effects);
    return effects;
  }

  /** Commits effects: folds and appends the records, then delivers them one at a time. */
  async commit(effects: Effects): Promise<void> {
    for (const record of effects.records) {
      if (record.seq !== 0) applyRecord(this.state, record);
      this.records.push(record);
    }
    this.attempts.push(...effects.attempts);
    for (const record of effects.records) {
      this.run.deliver(record);
      await drain();
    }
  }

  /** Appends a hand-made record (as another writer or an older version would have) and delivers it. */
  async append(body: RecordBody, atMs = this.nowMs + 10): Promise<JournalRecord> {
    this.nowMs = atMs;
    const record = {
      schemaVersion: JOURNAL_SCHEMA_VERSION,
      workflowId: this.workflowId,
      seq: this.ws.lastSeq + 1,
      atMs,
      body,
    };
    applyRecord(this.state, record);
    this.records.push(record);
    this.run.deliver(record);
    await drain();
    return record;
  }

  /** Decides a command for this workflow (signal, cancel, childResult). */
  command(command: Command): Promise<Effects> {
    return this.decide({ kind: 'command', command, offset: '1', raw: { key: null, value: null } });
  }

  /** Decides every intent reported and not decided yet, in the order reported. */
  async pump(): Promise<void> {
    while (this.decided < this.sink.intents.length) {
      const intent = this.sink.intents[this.decided++];
      if (intent !== undefined) await this.decide({ kind: 'intent', workflowId: this.workflowId, intent });
    }
  }

  /** Runs the committed attempts with the run's step functions and decides their outcomes. */
  async runAttempts(): Promise<void> {
    for (const attempt of this.attempts.splice(0)) {
      const request = this.run.stepCall(attempt.callSeq);
      if (request === undefined)
        throw new Error(`attempt of call ${attempt.callSeq}, which the run does not hold`);
      const signal = new AbortController().signal;
      const info = {
        idempotencyKey: `${this.workflowId}/${attempt.callSeq}`,
        attempt: attempt.attempt,
        workflowId: this.workflowId,
        stepName: request.name,
        signal,
      };
      let outcome: StepOutcome;
      try {
        const value: unknown = await request.fn(info);
        outcome = { ok: true, result: JSON.parse(JSON.stringify(value ?? null)) as JsonValue };
      } catch (error) {
        const data = toErrorData(error);
        const listed = request.nonRetryable.includes(data.name) || request.nonRetryable.includes(data.code);
        outcome = { ok: false, error: data, retriable: !(error instanceof TerminalError) && !listed };
      }
      await this.decide({
        kind: 'stepOutcome',
        workflowId: this.workflowId,
        callSeq: attempt.callSeq,
        name: request.name,
        attempt: attempt.attempt,
        startedAtMs: this.nowMs,
        durationMs: 1,
        outcome,
        retry: request.retry,
        jitter: 0.5,
      });
    }
  }

  /** Fires every pending timer at its time, earliest first. */
  async fireTimers(): Promise<void> {
    const timers = [...this.ws.timers.values()].sort((a, b) => a.fireAtMs - b.fireAtMs);
    for (const timer of timers) {
      this.nowMs = Math.max(this.nowMs, timer.fireAtMs - 10);
      await this.decide({ kind: 'timerDue', workflowId: this.workflowId, timerId: timer.timerId });
    }
  }

  /** True once the run reported how it ended. */
  ended(): boolean {
    return endingOf(this.sink.intents) !== undefined;
  }

  /**
   * Decides intents and runs attempts until nothing is left to do; with `untilEnded`, also waits for a
   * body busy with its own I/O until the run reports how it ended.
   */
  async settle(untilEnded = false): Promise<void> {
    for (;;) {
      await drain();
      if (this.decided < this.sink.intents.length) await this.pump();
      else if (this.attempts.length > 0) await this.runAttempts();
      else if (!untilEnded || (this.ended() && this.decided === this.sink.intents.length)) return;
      else await this.sink.next();
    }
  }

  /** Records written after the first `from`. */
  since(from: number): JournalRecord[] {
    return this.records.slice(from);
  }
}
