/**
 * The shell of every web page: one small inline stylesheet, a header with links, the page's body. Plain
 * server-rendered HTML: no build step, no client framework, no external resource.
 *
 * I1. `title` is escaped here; `body` is markup its renderer built with html-escape.ts (I1 there).
 * I2. Scripts are optional sugar (the pages work without them) and never carry user values.
 */
import { escapeHtml } from './html-escape.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1d2329;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:baseline}
header a{color:#9fd0ff;text-decoration:none}main{padding:1rem 1.2rem;max-width:1100px}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3;font-weight:600}code,pre{font:12px/1.4 ui-monospace,monospace}
pre{background:#f1f3f5;padding:.4rem .6rem;margin:.2rem 0;overflow:auto;max-height:22rem;white-space:pre-wrap;word-break:break-all}
.status{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:12px;background:#dde3ea}
.s-running{background:#d6ecff}.s-stuck{background:#ffe2b3}.s-failed{background:#ffd6d6}.s-completed{background:#d7f5dc}.s-cancelled{background:#e6e0f5}
.counts{display:flex;gap:.6rem;flex-wrap:wrap;margin:.5rem 0 1rem}.counts a{text-decoration:none;color:inherit;background:#fff;border:1px solid #dde1e6;border-radius:.4rem;padding:.3rem .6rem}
form{margin:.5rem 0;display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
ol.timeline{list-style:none;padding:0;margin:0}ol.timeline li{background:#fff;border-left:4px solid #b8c2cc;margin:.35rem 0;padding:.4rem .7rem}
ol.timeline li.k-step-ok{border-color:#3aa655}ol.timeline li.k-step-failed{border-color:#d64545}ol.timeline li.k-timer{border-color:#8d6cd9}
ol.timeline li.k-signal{border-color:#2f80d1}ol.timeline li.k-compensation{border-color:#e08a00;background:#fff8ec}ol.timeline li.k-outcome{border-color:#1d2329}
li.k-outcome>div>b{font-size:15px}details summary{cursor:pointer;font-size:12px;color:#5c6670}
.meta{color:#5c6670;font-size:12px}.label{font-size:12px;color:#5c6670}.value .error{margin:.15rem 0}.cut{color:#a05a00;font-size:12px;margin:0}
.error{color:#b42318}.pager{margin:1rem 0;display:flex;gap:1rem}
`;

/** A whole page (I1). */
export function layout(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Logbook</title><style>${STYLE}</style></head>
<body><header><strong>Logbook</strong><a href="/">Workflows</a></header>
<main>${body}</main>${script === '' ? '' : `<script>${script}</script>`}</body></html>
`;
}

/** A status badge. Statuses are the engine's own names, escaped all the same. */
export function statusBadge(status: string): string {
  const s = escapeHtml(status);
  return `<span class="status s-${s}" data-status="${s}">${s}</span>`;
}

/** An error page. */
export function errorPage(status: number, message: string): string {
  return layout(
    `Error ${status}`,
    `<h1>Error ${status}</h1><p class="error" data-testid="error">${escapeHtml(message)}</p>`,
  );
}
