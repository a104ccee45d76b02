/**
 * Escaping for the web pages. Every value that came from a user — ids, workflow and step names, payloads,
 * results, errors, signal names — reaches HTML only through `escapeHtml` (text and attribute values alike),
 * so a value holding `<script>` or a quote renders as text, never as markup.
 *
 * I1. `escapeHtml` escapes & < > " ' — enough for text and for double- or single-quoted attributes. Markup
 *     never puts a value in an unquoted attribute, a URL scheme position, a script or a style.
 * I2. URLs built from values go through `encodeURIComponent`/URLSearchParams first, then `escapeHtml`.
 */
import type { ErrorData } from '../../journal/index.js';
import { PREVIEW_CHARS_MAX } from './limits.js';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** `text` as inert HTML text or quoted attribute value (I1). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** A pretty-printed value, cut at `maxChars` with the number of characters left out. */
export interface Preview {
  readonly text: string;
  /** Characters of the whole text, when it was cut; null when shown in full. */
  readonly cutFromChars: number | null;
}

/** `value` as indented JSON, cut at `maxChars`. */
export function previewJson(value: unknown, maxChars = PREVIEW_CHARS_MAX): Preview {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  if (text.length <= maxChars) return { text, cutFromChars: null };
  return { text: text.slice(0, maxChars), cutFromChars: text.length };
}

/** A `<pre>` of a value's preview, with a note when it was cut (escaped, I1). */
export function jsonBlock(label: string, value: unknown, fullHref: string): string {
  const preview = previewJson(value);
  const note =
    preview.cutFromChars === null
      ? ''
      : `<p class="cut" data-testid="cut-note">truncated: ${PREVIEW_CHARS_MAX} of ${preview.cutFromChars} characters shown; ` +
        `the full value is in <a href="${escapeHtml(fullHref)}">the JSON</a></p>`;
  return `<div class="value"><span class="label">${escapeHtml(label)}</span><pre>${escapeHtml(preview.text)}</pre>${note}</div>`;
}

/** An error as one line (`name (code): message`) and, folded, its whole JSON (escaped, I1). */
export function errorBlock(label: string, error: ErrorData, fullHref: string): string {
  const line = `${error.name} (${error.code}): ${error.message}`;
  return `<div class="value"><span class="label">${escapeHtml(label)}</span><p class="error" data-testid="error-line">${escapeHtml(line)}</p>
<details><summary>details</summary>${jsonBlock('', error, fullHref)}</details></div>`;
}

/** The web path of one workflow (I2). */
export function workflowHref(id: string): string {
  return `/workflows/${encodeURIComponent(id)}`;
}

/** The JSON path of one workflow (I2). */
export function workflowApiHref(id: string): string {
  return `/api/workflows/${encodeURIComponent(id)}`;
}
