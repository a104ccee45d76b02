/**
 * The web timeline of one workflow (`GET /workflows/<id>`): its summary (status, times, result or error,
 * what it waits on) and its history as an ordered list, one entry per journal record (timeline-entry.ts),
 * paged like the JSON. A pure function of `/api/workflows/<id>`'s answer.
 *
 * I1. Every value is escaped (html-escape.ts I1), long values cut with a note (PREVIEW_CHARS_MAX).
 * I2. Each entry is `<li data-testid="timeline-entry" data-kind="<record kind>" data-seq data-step>`,
 *     with `data-compensation="true"` on compensations, so tests and scripts find them without the text.
 */
import type { HistoryRecordJson, WorkflowDetailJson } from './detail-json.js';
import { errorBlock, escapeHtml, jsonBlock, workflowApiHref, workflowHref } from './html-escape.js';
import { layout, statusBadge } from './html-layout.js';
import { timelineEntry } from './timeline-entry.js';

function fact(label: string, value: string): string {
  return `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`;
}

function summary(d: WorkflowDetailJson): string {
  const api = workflowApiHref(d.id);
  const rows = [
    `<tr><th>Status</th><td>${statusBadge(d.status)}</td></tr>`,
    fact('Workflow', d.workflow),
    fact('Partition', String(d.partition)),
    fact('Started', d.startedAt ?? '—'),
    fact('Updated', d.updatedAt ?? '—'),
  ];
  if (d.parent !== null) rows.push(fact('Parent', `${d.parent.workflowId} (call ${d.parent.callSeq})`));
  if (d.cancelReason !== null) rows.push(fact('Cancel reason', d.cancelReason));
  if (d.archived !== null)
    rows.push(fact('Outcome', `dropped from the cache; journal offset ${d.archived.offset} has it`));
  const outcome = [
    d.status === 'completed' ? jsonBlock('result', d.result, api) : '',
    d.error === null ? '' : errorBlock('error', d.error, api),
  ].join('');
  return `<table class="summary" data-testid="summary">${rows.join('')}</table>${outcome}`;
}

function pending(d: WorkflowDetailJson): string {
  const { calls, timers, signalWaits, mailbox } = d.pending;
  if (calls.length + timers.length + signalWaits.length + mailbox === 0) return '';
  const items = [
    ...calls.map(
      (c) =>
        `<li>${escapeHtml(`${c.kind} ${c.name} (call ${c.callSeq}), attempt ${c.attempt}${c.retrying ? ', waiting to retry' : c.attemptOpen ? ', running' : ''}`)}</li>`,
    ),
    ...timers.map((t) => `<li>${escapeHtml(`timer ${t.timerId} (${t.purpose}) fires at ${t.fireAt}`)}</li>`),
    ...signalWaits.map((w) => `<li>${escapeHtml(`waiting for signal ${w.name} (call ${w.callSeq})`)}</li>`),
    ...(mailbox > 0 ? [`<li>${mailbox} signal(s) received, not yet taken</li>`] : []),
  ];
  return `<h2>Waiting on</h2><ul data-testid="pending">${items.join('')}</ul>`;
}

function entry(record: HistoryRecordJson, api: string): string {
  const e = timelineEntry(record.body);
  const step = e.step === null ? '' : ` data-step="${escapeHtml(e.step)}"`;
  const compensation = e.tone === 'compensation' ? ' data-compensation="true"' : '';
  const facts = [`seq ${record.seq}`, record.at, ...e.facts].map(escapeHtml).join(' · ');
  const values = [
    ...e.values.map(([label, value]) => jsonBlock(label, value, api)),
    e.error === null ? '' : errorBlock(e.tone === 'compensation' ? 'reason' : 'error', e.error, api),
  ].join('');
  return `<li data-testid="timeline-entry" data-kind="${escapeHtml(record.kind)}" data-seq="${record.seq}"${step}${compensation} class="k-${e.tone}">
<div><b>${escapeHtml(e.title)}</b> <span class="meta">${facts}</span></div>${values}</li>`;
}

function historySection(d: WorkflowDetailJson): string {
  const h = d.history;
  const api = `${workflowApiHref(d.id)}?from=${h.from}`;
  if (h.unavailable !== null)
    return `<h2>History</h2><p class="error" data-testid="history-unavailable">History unavailable: ${escapeHtml(h.unavailable)}</p>`;
  const list = h.records.map((r) => entry(r, api)).join('\n');
  const next =
    h.nextFrom === null
      ? ''
      : `<a data-testid="next-records" href="${escapeHtml(`${workflowHref(d.id)}?from=${h.nextFrom}`)}">Later records →</a>`;
  const first = h.from > 1 ? `<a href="${escapeHtml(workflowHref(d.id))}">First records</a>` : '';
  return `<h2>History <span class="meta">from the ${h.source}, seq ${h.from} on</span></h2>
<ol class="timeline" data-testid="timeline">${list}</ol><div class="pager">${first}${next}</div>`;
}

/** The timeline page (I1, I2). */
export function renderTimelinePage(d: WorkflowDetailJson): string {
  const body = `<h1 data-testid="workflow-id">${escapeHtml(d.id)}</h1>
<p class="meta"><a href="${escapeHtml(workflowApiHref(d.id))}">JSON</a></p>
${summary(d)}${pending(d)}${historySection(d)}`;
  return layout(`Workflow ${d.id}`, body);
}
