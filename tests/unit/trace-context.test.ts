/**
 * Proves W3C trace context at Logbook's edges (src/tracing, D24), table-driven:
 *   - traceparent validation follows the spec (§4.3): version ff, upper-case hex, all-zero ids, wrong
 *     lengths and separators are invalid; a later version is read by its first 55 characters and kept as
 *     version 00;
 *   - headers: an invalid or repeated traceparent is ignored with a reason, never thrown; tracestate rides
 *     only with a valid traceparent, and an invalid one alone is dropped; Buffers and strings both read;
 *   - a command message's headers reach its input (and a misrouted one's), an invalid one is reported to
 *     the owner's callback and the command still decodes;
 *   - tick messages: every journal record and event of a traced workflow carries its traceparent and
 *     tracestate, an untraced one only its usual headers, a child start its parent's, a forwarded command
 *     the one it came with;
 *   - the client's headers: an explicit traceparent is sent, an invalid one is a ConfigError, and without
 *     one nothing is injected while no propagator is registered.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { TraceContext } from '../../src/journal/index.js';
import { topicNames } from '../../src/journal/index.js';
import { type Effects, noEffects, type PartitionState } from '../../src/machine/index.js';
import { commandInput } from '../../src/partition/command-input.js';
import { tickMessages } from '../../src/partition/messages.js';
import { tickTraces } from '../../src/partition/tick-traces.js';
import {
  outgoingTraceHeaders,
  parseTraceparent,
  TRACESTATE_LENGTH_MAX,
  traceFromHeaders,
} from '../../src/tracing/index.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('traceparent validation', () => {
  it.each([
    ['version 00, sampled', VALID, { traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 }],
    [
      'version 00, not sampled',
      `00-${TRACE_ID}-${SPAN_ID}-00`,
      { traceId: TRACE_ID, spanId: SPAN_ID, flags: 0 },
    ],
    [
      'a later version with more fields',
      `cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-holds`,
      { traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 },
    ],
    [
      'a later version of 55 characters',
      `01-${TRACE_ID}-${SPAN_ID}-09`,
      { traceId: TRACE_ID, spanId: SPAN_ID, flags: 9 },
    ],
  ])('%s is valid', (_name, value, parsed) => {
    expect(parseTraceparent(value)).toEqual(parsed);
  });

  it.each([
    ['empty', ''],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version 00 with a trailing field', `${VALID}-extra`],
    ['a later version without a dash after 55', `01-${TRACE_ID}-${SPAN_ID}-01x`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['underscores for dashes', VALID.replaceAll('-', '_')],
    ['not hex', `00-${'g'.repeat(32)}-${SPAN_ID}-01`],
  ])('%s is invalid', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('trace headers of a message', () => {
  it.each([
    ['no headers', undefined, {}],
    ['no traceparent', { other: 'x' }, {}],
    ['a valid one as a string', { traceparent: VALID }, { trace: { traceparent: VALID, tracestate: null } }],
    [
      'a valid one as a Buffer, with tracestate',
      { traceparent: Buffer.from(VALID), tracestate: Buffer.from('k=v') },
      { trace: { traceparent: VALID, tracestate: 'k=v' } },
    ],
    [
      'a later version, kept as 00',
      { traceparent: `01-${TRACE_ID}-${SPAN_ID}-01-x` },
      { trace: { traceparent: VALID, tracestate: null } },
    ],
    [
      'a bad tracestate alone',
      { traceparent: VALID, tracestate: 'x'.repeat(TRACESTATE_LENGTH_MAX + 1) },
      { trace: { traceparent: VALID, tracestate: null } },
    ],
    [
      'an invalid one',
      { traceparent: 'nonsense', tracestate: 'k=v' },
      { ignored: 'invalid traceparent "nonsense"' },
    ],
    ['two of them', { traceparent: [VALID, VALID] }, { ignored: 'more than one traceparent header' }],
  ])('%s', (_name, headers, expected) => {
    expect(traceFromHeaders(headers)).toEqual(expected);
  });
});

describe('a command message with trace headers', () => {
  const start = Buffer.from(JSON.stringify({ type: 'start', workflow: 'w', id: 'a' }));
  const onPartition = (id: string) => (id === 'a' ? 0 : 1);

  it('gives its valid trace context to its input, and a misrouted one keeps it for forwarding', () => {
    const headers = { traceparent: VALID, tracestate: 'k=v' };
    const input = commandInput({ offset: '7', key: null, value: start, headers }, 0, onPartition, 1_000);
    expect(input).toMatchObject({ kind: 'command', trace: { traceparent: VALID, tracestate: 'k=v' } });
    const misrouted = commandInput({ offset: '8', key: null, value: start, headers }, 1, onPartition, 1_000);
    expect(misrouted).toMatchObject({ kind: 'misrouted', trace: { traceparent: VALID } });
  });

  it('an invalid traceparent is reported and ignored: the command still runs, untraced', () => {
    const ignored: string[] = [];
    const input = commandInput(
      { offset: '7', key: null, value: start, headers: { traceparent: '00-zz' } },
      0,
      onPartition,
      1_000,
      (command, reason) => ignored.push(`${command.id}: ${reason}`),
    );
    expect(input.kind).toBe('command');
    expect('trace' in input).toBe(false);
    expect(ignored).toEqual(['a: invalid traceparent "00-zz"']);
  });
});

describe('tick messages of traced workflows', () => {
  const topics = topicNames('ns');
  const trace: TraceContext = { traceparent: VALID, tracestate: 'k=v' };
  const record = (workflowId: string, seq: number) => ({
    schemaVersion: 4,
    workflowId,
    seq,
    atMs: 1,
    body: { kind: 'WorkflowCompleted', result: null } as const,
  });
  const state = new Map([
    ['traced', { trace }],
    ['plain', {}],
  ]) as unknown as PartitionState;

  it('journal records and events carry the workflow trace; untraced ones only their usual headers', () => {
    const effects: Effects = {
      ...noEffects(),
      records: [record('traced', 2), record('plain', 2)],
      events: [
        { type: 'WorkflowCompleted', id: 'traced', workflow: 'w', atMs: 1 },
        { type: 'WorkflowCompleted', id: 'plain', workflow: 'w', atMs: 1 },
      ],
    };
    const out = tickMessages(effects, topics, 0, tickTraces(state, []));
    const headers = out.map((m) => m.headers ?? {});
    expect(headers[0]).toMatchObject({
      'logbook-schema': expect.any(String),
      traceparent: VALID,
      tracestate: 'k=v',
    });
    expect(Object.keys(headers[1] ?? {})).toEqual(['logbook-schema']);
    expect(headers[2]).toEqual({
      'logbook-event': 'WorkflowCompleted',
      traceparent: VALID,
      tracestate: 'k=v',
    });
    expect(headers[3]).toEqual({ 'logbook-event': 'WorkflowCompleted' });
  });

  it('an emitted message carries its workflow’s trace; an untraced one no headers', () => {
    const emits = [
      { workflowId: 'traced', topic: 'receipts', key: 'k1', value: { ok: true } },
      { workflowId: 'plain', topic: 'receipts', key: 'k2', value: { ok: true } },
    ];
    const out = tickMessages({ ...noEffects(), emits }, topics, 0, tickTraces(state, []));
    expect(out.map((m) => [m.topic, m.key, m.headers])).toEqual([
      ['receipts', 'k1', { traceparent: VALID, tracestate: 'k=v' }],
      ['receipts', 'k2', undefined],
    ]);
  });

  it("a child start carries its parent's trace, a forwarded command the one it arrived with", () => {
    const child = {
      type: 'start',
      workflow: 'c',
      id: 'kid',
      input: null,
      idempotency: null,
      parent: { workflowId: 'traced', callSeq: 1 },
    } as const;
    const forwarded = { type: 'cancel', id: 'elsewhere', reason: 'r' } as const;
    const other: TraceContext = { traceparent: `00-${'1'.repeat(32)}-${SPAN_ID}-01`, tracestate: null };
    const taken = [{ input: { kind: 'misrouted', command: forwarded, offset: '3', trace: other } as const }];
    const out = tickMessages(
      { ...noEffects(), commands: [child, forwarded] },
      topics,
      0,
      tickTraces(state, taken),
    );
    expect(out.map((m) => m.headers)).toEqual([
      { traceparent: VALID, tracestate: 'k=v' },
      { traceparent: other.traceparent },
    ]);
  });
});

describe("the client's trace headers", () => {
  it('sends an explicit traceparent (and tracestate), refuses an invalid one, injects nothing without a propagator', () => {
    expect(outgoingTraceHeaders({ traceparent: VALID })).toEqual({ traceparent: VALID });
    expect(outgoingTraceHeaders({ traceparent: VALID, tracestate: 'a=b' })).toEqual({
      traceparent: VALID,
      tracestate: 'a=b',
    });
    expect(() => outgoingTraceHeaders({ traceparent: 'bogus' })).toThrow(ConfigError);
    expect(outgoingTraceHeaders()).toBeUndefined();
  });
});
