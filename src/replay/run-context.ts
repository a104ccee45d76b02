/**
 * The `ctx` a workflow body receives: each method allocates a call on its run, checks what the body
 * handed over (workflow-run.ts I5), reports the intent and returns the call's promise.
 *
 * I1. A value over a limit or a malformed name still allocates a call, so every later call keeps its
 *     number, and fails through a journaled CallRejected (the body can catch it).
 * I2. Values are copied to JSON at the call: what the journal holds is what the body passed then.
 */
import type { JsonValue } from '../journal/index.js';
import { type CallKind, idProblem, nameProblem } from '../machine/index.js';
import {
  type Duration,
  LimitError,
  TerminalError,
  toMs,
  type WorkflowContext,
  type WorkflowDefinition,
} from '../workflow/index.js';
import type { Allocated, WorkflowRun } from './workflow-run.js';

/** JSON text of `value` and its UTF-8 size, or an error if it cannot be JSON (I2). */
function jsonOf(value: unknown): { text: string; bytes: number } | Error {
  try {
    const text = JSON.stringify(value ?? null) ?? 'null';
    return { text, bytes: Buffer.byteLength(text, 'utf8') };
  } catch (error) {
    return new TerminalError(`value is not JSON-serialisable: ${String(error)}`);
  }
}

function overLimit(what: string, limit: string, max: number, bytes: number): LimitError {
  return new LimitError(`${what} is ${bytes} bytes of JSON, over the ${max}-byte limit (${limit})`, {
    limit,
    max,
    actual: bytes,
  });
}

/** Allocates a call and, when `problem` says the call cannot be made, journals it as rejected (I1). */
function open<T>(
  run: WorkflowRun,
  kind: CallKind,
  name: string,
  problem: () => Error | undefined,
): { call: Allocated | undefined; promise: Promise<T>; ok: boolean } {
  if (run.refusesAtOnce(false))
    return { call: undefined, promise: Promise.reject(run.cancelledError()), ok: false };
  const call = run.allocate(kind, name);
  const promise = run.wait<T>(kind, call);
  if (call === undefined) return { call, promise, ok: false };
  const error = problem();
  if (error !== undefined) run.rejectCall(call, kind, name, error);
  return { call, promise, ok: error === undefined };
}

function badName(what: string, value: string, rule: string | undefined): Error | undefined {
  return rule === undefined
    ? undefined
    : new TerminalError(`${what} must be ${rule}; got ${JSON.stringify(value.slice(0, 40))}`);
}

function child<I, O>(
  run: WorkflowRun,
  definition: WorkflowDefinition<I, O>,
  childId: string,
  input: I,
): Promise<O> {
  const json = jsonOf(input);
  const max = run.limits.childInputBytesMax;
  const { call, promise, ok } = open<O>(run, 'child', definition.name, () => {
    if (json instanceof Error) return json;
    if (json.bytes > max) return overLimit('child input', 'childInputBytesMax', max, json.bytes);
    return badName('a child workflow id', childId, idProblem(childId));
  });
  if (ok && call !== undefined && !(json instanceof Error)) {
    const value = JSON.parse(json.text) as JsonValue;
    run.report({ type: 'child', ...call, childId, workflow: definition.name, input: value });
  }
  return promise;
}

function emit(run: WorkflowRun, topic: string, key: string, value: JsonValue): Promise<void> {
  const json = jsonOf(value);
  const max = run.limits.emitBytesMax;
  const { call, promise, ok } = open<void>(run, 'emit', topic, () => {
    if (json instanceof Error) return json;
    const bytes = json.bytes + Buffer.byteLength(String(key), 'utf8');
    if (bytes > max) return overLimit('emitted key and value', 'emitBytesMax', max, bytes);
    if (typeof key !== 'string') return new TerminalError('an emit key must be a string');
    return badName('a topic', topic, nameProblem(topic));
  });
  if (ok && call !== undefined && !(json instanceof Error)) {
    run.report({ type: 'emit', ...call, topic, key, value: JSON.parse(json.text) as JsonValue });
  }
  return promise;
}

function signal<T>(run: WorkflowRun, name: string, timeout: Duration | undefined): Promise<T> {
  const timeoutMs = timeout === undefined ? null : toMs(timeout, 'signal timeout');
  const { call, promise, ok } = open<T>(run, 'signal', name, () =>
    badName('a signal name', name, nameProblem(name)),
  );
  if (ok && call !== undefined) run.report({ type: 'signal', ...call, name, timeoutMs });
  return promise;
}

function sleep(run: WorkflowRun, duration: Duration): Promise<void> {
  const durationMs = toMs(duration, 'sleep');
  const { call, promise, ok } = open<void>(run, 'sleep', 'sleep', () => undefined);
  if (ok && call !== undefined) run.report({ type: 'sleep', ...call, durationMs });
  return promise;
}

/** The context of `run`'s body. */
export function makeContext(run: WorkflowRun): WorkflowContext {
  return {
    workflowId: run.workflowId,
    workflowName: run.workflowName,
    step: (name, fn, options = {}) => run.callStep(name, fn, options),
    sleep: (duration) => sleep(run, duration),
    signal: <T>(name: string, options: { readonly timeout?: Duration } = {}) =>
      signal<T>(run, name, options.timeout),
    now: () => run.now,
    random: () => run.randomStream.next(),
    uuid: () => run.randomStream.uuid(),
    child: (definition, childId, input) => child(run, definition, childId, input),
    emit: (topic, key, value) => emit(run, topic, key, value),
  };
}
