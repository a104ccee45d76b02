/**
 * The named limits of the workflow routes (STYLE §5: everything has a limit). Every answer is bounded by
 * these, never by how many workflows ran (http-types.ts I2).
 */

/** Workflows on one list page when the request names no `limit`. */
export const LIST_LIMIT_DEFAULT = 50;
/** Most workflows one list page may ask for. */
export const LIST_LIMIT_MAX = 500;
/**
 * Most cache keys one list request examines. A status or name filter that skips many workflows stops
 * here and answers the page so far with a cursor, so the client continues where the scan stopped.
 */
export const LIST_KEYS_EXAMINED_MAX = 2_000;
/** Cache keys one count of workflows by status reads at most; past it the counts say `capped`. */
export const COUNT_KEYS_MAX = 5_000;
/** History records on one page when the request names no `limit`. */
export const HISTORY_LIMIT_DEFAULT = 200;
/** Most history records one page may ask for. */
export const HISTORY_LIMIT_MAX = 1_000;
/** A journal read of a finished workflow's history fails when no batch came for this long. */
export const JOURNAL_READ_STALL_MS = 10_000;
/** Characters of one pretty-printed value the web timeline shows before cutting it with a note. */
export const PREVIEW_CHARS_MAX = 2_000;
/** Longest cursor string accepted (a cursor holds a partition and one id). */
export const CURSOR_CHARS_MAX = 4_096;
/** Longest `workflow` name filter accepted. */
export const NAME_FILTER_CHARS_MAX = 256;
