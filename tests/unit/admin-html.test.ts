/**
 * Proves the web pages' rendering (html-escape.ts I1, I2; html-timeline.ts I1, I2; html-list.ts I1;
 * timeline-entry.ts I2): a workflow id, name, step name, payload or error holding `<script>` or quotes is
 * rendered inert (escaped text, no extra script element, no broken attribute) on the timeline and the list,
 * also through the routes over a real cache; each record becomes an entry with its kind, seq and step
 * name, with attempt and duration; compensations are marked; long values are cut with a note.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowPageJson } from '../../src/admin/api-types.js';
import { escapeHtml, previewJson } from '../../src/admin/workflows/html-escape.js';
import { renderListPage } from '../../src/admin/workflows/html-list.js';
import { renderTimelinePage } from '../../src/admin/workflows/html-timeline.js';
import { type WorkflowDetailJson, workflowHandlers } from '../../src/admin/workflows/index.js';
import { PREVIEW_CHARS_MAX } from '../../src/admin/workflows/limits.js';
import { MemoryKvStore, NodeCache } from '../../src/cache/index.js';
import type { RecordBody } from '../../src/journal/index.js';
import { body, CacheFeeder, cacheView } from './admin-fixture.js';

const EVIL = `<script>alert("x")</script>'"&`;
const EVIL_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;';

/** `<script` openings in `html`: only the page's own (the list page has one, the timeline none). */
function scriptTags(html: string): number {
  return html.match(/<script/gi)?.length ?? 0;
}

function detail(records: RecordBody[], overrides: Partial<WorkflowDetailJson> = {}): WorkflowDetailJson {
  return {
    id: EVIL,
    workflow: EVIL,
    status: 'failed',
    partition: 2,
    startedAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:01.000Z',
    parent: null,
    result: null,
    error: { name: EVIL, code: 'LB_TERMINAL', message: EVIL, details: { why: EVIL } },
    cancelReason: null,
    archived: null,
    pending: { calls: [], timers: [], signalWaits: [{ callSeq: 9, name: EVIL }], mailbox: 0 },
    history: {
      source: 'journal',
      from: 1,
      records: records.map((b, i) => ({ seq: i + 1, at: '2026-01-01T00:00:00.000Z', kind: b.kind, body: b })),
      nextFrom: null,
      unavailable: null,
    },
    ...overrides,
  };
}

const failure = { name: 'TerminalError', code: 'LB_TERMINAL', message: EVIL, details: null };
const trip: RecordBody[] = [
  body.started(EVIL, { note: EVIL }),
  body.stepStarted(1, EVIL),
  body.stepDone(1, EVIL, { html: EVIL }),
  {
    kind: 'StepFailed',
    callSeq: 2,
    name: 'pay',
    error: failure,
    attempt: 3,
    startedAtMs: 0,
    durationMs: 42,
    retryAtMs: null,
  },
  { kind: 'CompensationStarted', callSeq: 3, reason: failure, steps: [EVIL], parentSeq: 2 },
  body.stepDone(4, `compensate:${EVIL}`, null),
  { kind: 'SignalReceived', name: EVIL, payload: EVIL },
  body.failed(EVIL),
];

describe('escaping', () => {
  it('escapes & < > " and \' so a value is text in content and in quoted attributes', () => {
    expect(escapeHtml(EVIL)).toBe(EVIL_ESCAPED);
    expect(escapeHtml('plain id-1/é🚀')).toBe('plain id-1/é🚀');
  });

  it('renders a timeline whose id, names, payloads and errors hold <script> inert', () => {
    const html = renderTimelinePage(detail(trip));
    expect(scriptTags(html)).toBe(0);
    expect(html).not.toContain(EVIL);
    expect(html).toContain(EVIL_ESCAPED);
    expect(html).toContain(`href="/api/workflows/${encodeURIComponent(EVIL).replace(/'/g, '&#39;')}"`);
  });

  it('renders a list whose ids and names hold <script> inert, with only the page’s own script', () => {
    const page: WorkflowPageJson = {
      items: [
        { id: EVIL, workflow: EVIL, status: 'running', partition: 0, startedAt: null, updatedAt: null },
      ],
      nextCursor: 'abc',
    };
    const counts = {
      counts: { running: 1, stuck: 0, failed: 0, completed: 0, cancelled: 0 },
      capped: false,
      partitions: [0],
    };
    const html = renderListPage({
      executorId: EVIL,
      status: null,
      workflow: EVIL,
      workflowNames: [EVIL],
      page,
      counts,
    });
    expect(scriptTags(html)).toBe(1);
    expect(html).not.toContain(EVIL);
    expect(html).toContain(`data-id="${EVIL_ESCAPED}"`);
    expect(html).toContain('data-testid="next-page"');
  });

  it('renders a cached workflow with a <script> id and payload inert through the routes', async () => {
    const node = new NodeCache(new MemoryKvStore());
    await node.open();
    await new CacheFeeder(node, 0).write([
      [EVIL, body.started('trip', { evil: EVIL })],
      [EVIL, body.stepStarted(1, EVIL)],
    ]);
    const view = cacheView(node, [0], () => 0);
    const [api, web] = workflowHandlers(view);
    const url = new URL(`http://x/workflows/${encodeURIComponent(EVIL)}`);
    const response = await web?.({ method: 'GET', url, headers: {} });
    expect(response?.status).toBe(200);
    expect(response?.body).toContain(EVIL_ESCAPED);
    expect(scriptTags(response?.body ?? '<script')).toBe(0);
    const list = await web?.({ method: 'GET', url: new URL('http://x/'), headers: {} });
    expect(list?.body).toContain(`data-id="${EVIL_ESCAPED}"`);
    expect(scriptTags(list?.body ?? '')).toBe(1);
    expect(await api?.({ method: 'GET', url: new URL('http://x/'), headers: {} })).toBeUndefined();
  });
});

describe('timeline entries', () => {
  it('shows one entry per record with its kind, seq and step, attempts and durations, compensations marked', () => {
    const html = renderTimelinePage(detail(trip));
    const entries = [...html.matchAll(/<li data-testid="timeline-entry" ([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(entries.map((e) => /data-kind="(\w+)"/.exec(e)?.[1])).toEqual(trip.map((b) => b.kind));
    expect(entries.map((e) => /data-seq="(\d+)"/.exec(e)?.[1])).toEqual(trip.map((_, i) => String(i + 1)));
    expect(entries[1]).toContain(`data-step="${EVIL_ESCAPED}"`);
    expect(entries[3]).toContain('data-step="pay"');
    expect(entries.map((e) => e.includes('data-compensation="true"'))).toEqual([
      false,
      false,
      false,
      false,
      true,
      true,
      false,
      false,
    ]);
    expect(html).toContain('attempt 3 · 42 ms · no retry');
    expect(html).toContain('attempt 1 · 7 ms');
    expect(html).toContain('Compensation started');
  });

  it('cuts a long value at PREVIEW_CHARS_MAX with a note saying how long it was', () => {
    const long = 'y'.repeat(PREVIEW_CHARS_MAX * 2);
    const preview = previewJson({ long });
    expect(preview.text).toHaveLength(PREVIEW_CHARS_MAX);
    expect(preview.cutFromChars).toBe(JSON.stringify({ long }, null, 2).length);
    const html = renderTimelinePage(detail([body.stepDone(1, 'big', { long })]));
    expect(html).toContain('data-testid="cut-note"');
    expect(html).toContain(`truncated: ${PREVIEW_CHARS_MAX} of ${preview.cutFromChars} characters shown`);
    expect(previewJson({ short: 1 }).cutFromChars).toBeNull();
  });

  it('says why when the history is unavailable, and links the next records when there are more', () => {
    const unavailable = renderTimelinePage(
      detail([], {
        history: { source: 'journal', from: 1, records: [], nextFrom: null, unavailable: 'not in the cache' },
      }),
    );
    expect(unavailable).toContain('data-testid="history-unavailable"');
    const paged = renderTimelinePage(detail(trip.slice(0, 2), { id: 'w-1' }));
    expect(paged).not.toContain('data-testid="next-records"');
    const more = renderTimelinePage(
      detail(trip.slice(0, 2), { id: 'w-1', history: { ...detail(trip.slice(0, 2)).history, nextFrom: 3 } }),
    );
    expect(more).toContain('href="/workflows/w-1?from=3"');
  });
});
