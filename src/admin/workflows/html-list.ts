/**
 * The web list of workflows (`GET /`): live counts by status, a status and name filter, an open-by-id
 * form, one row per workflow linking to its timeline, and the next page through the cursor. A pure function
 * of what the queries answered.
 *
 * I1. Every value is escaped (html-escape.ts I1); rows carry `data-testid="workflow-row"` and `data-id`.
 * I2. The optional script only refreshes the counts from /api/workflow-counts; the page works without it.
 */
import { WORKFLOW_STATUSES, type WorkflowPageJson, type WorkflowStatusName } from '../api-types.js';
import type { WorkflowCountsJson } from './detail-json.js';
import { escapeHtml, workflowHref } from './html-escape.js';
import { layout, statusBadge } from './html-layout.js';

/** What the list page shows. */
export interface ListPageModel {
  readonly executorId: string;
  readonly status: WorkflowStatusName | null;
  readonly workflow: string | null;
  readonly workflowNames: readonly string[];
  readonly page: WorkflowPageJson;
  readonly counts: WorkflowCountsJson;
}

/** Refreshes `[data-count]` every 5 s (I2); holds no user value. */
const COUNTS_SCRIPT = `setInterval(function(){fetch('/api/workflow-counts',{credentials:'same-origin'})
.then(function(r){return r.ok?r.json():null}).then(function(j){if(!j)return;
document.querySelectorAll('[data-count]').forEach(function(e){var n=j.counts[e.getAttribute('data-count')];
if(typeof n==='number')e.textContent=String(n)+(j.capped?'+':'')})}).catch(function(){})},5000);`;

function listHref(filters: Record<string, string | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== null && v !== '') params.set(k, v);
  const query = params.toString();
  return query === '' ? '/' : `/?${query}`;
}

function countsBar(model: ListPageModel): string {
  const plus = model.counts.capped ? '+' : '';
  const links = WORKFLOW_STATUSES.map((s) => {
    const href = escapeHtml(listHref({ status: s, workflow: model.workflow }));
    return `<a href="${href}" data-testid="count-${s}">${statusBadge(s)} <b data-count="${s}">${model.counts.counts[s]}${plus}</b></a>`;
  });
  const all = `<a href="${escapeHtml(listHref({ workflow: model.workflow }))}" data-testid="count-all">all</a>`;
  return `<nav class="counts" aria-label="counts by status">${all}${links.join('')}</nav>`;
}

function filterForm(model: ListPageModel): string {
  const options = WORKFLOW_STATUSES.map(
    (s) => `<option value="${s}"${model.status === s ? ' selected' : ''}>${s}</option>`,
  ).join('');
  const names = model.workflowNames.map((n) => `<option value="${escapeHtml(n)}"></option>`).join('');
  return `<form method="get" action="/" data-testid="filter-form">
<label>Status <select name="status"><option value="">any</option>${options}</select></label>
<label>Workflow <input name="workflow" list="workflow-names" value="${escapeHtml(model.workflow ?? '')}"></label>
<datalist id="workflow-names">${names}</datalist><button type="submit">Filter</button></form>
<form method="get" action="/workflows" data-testid="open-form"><label>Workflow id <input name="id" required></label>
<button type="submit">Open</button></form>`;
}

function row(item: WorkflowPageJson['items'][number]): string {
  const id = escapeHtml(item.id);
  return `<tr data-testid="workflow-row" data-id="${id}" data-status="${escapeHtml(item.status)}">
<td><a href="${escapeHtml(workflowHref(item.id))}">${id}</a></td><td>${escapeHtml(item.workflow)}</td>
<td>${statusBadge(item.status)}</td><td>${item.partition}</td>
<td>${escapeHtml(item.startedAt ?? '')}</td><td>${escapeHtml(item.updatedAt ?? '')}</td></tr>`;
}

function pager(model: ListPageModel): string {
  const first = listHref({ status: model.status, workflow: model.workflow });
  const next =
    model.page.nextCursor === null
      ? ''
      : `<a data-testid="next-page" href="${escapeHtml(
          listHref({ status: model.status, workflow: model.workflow, cursor: model.page.nextCursor }),
        )}">Next page →</a>`;
  return `<div class="pager"><a href="${escapeHtml(first)}">First page</a>${next}</div>`;
}

/** The list page (I1, I2). */
export function renderListPage(model: ListPageModel): string {
  const rows = model.page.items.map(row).join('\n');
  const table =
    model.page.items.length === 0
      ? '<p data-testid="empty">No workflows on this page.</p>'
      : `<table data-testid="workflows"><thead><tr><th>Id</th><th>Workflow</th><th>Status</th><th>Partition</th>
<th>Started</th><th>Updated</th></tr></thead><tbody>${rows}</tbody></table>`;
  const owned = model.counts.partitions.join(', ');
  const body = `<h1>Workflows</h1><p class="meta">Executor ${escapeHtml(model.executorId)}, partitions ${escapeHtml(owned === '' ? 'none' : owned)}</p>
${countsBar(model)}${filterForm(model)}${table}${pager(model)}`;
  return layout('Workflows', body, COUNTS_SCRIPT);
}
