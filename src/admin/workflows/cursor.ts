/**
 * The list cursor: where a page of `/api/workflows` ended, as an opaque string the client hands back.
 * It holds the partition and the last id examined (not only the last id answered: a filtered page may stop
 * after skipping), so the next page resumes right after it (partition-cache.ts workflowsAfter).
 *
 * I1. Opaque to clients: base64url of a small versioned JSON. Decoding checks every field; a cursor that
 *     does not decode is a 400, never a scan from the start.
 * I2. A cursor from an older layout version is refused, not guessed at.
 */
import { AdminRequestError } from './errors.js';
import { CURSOR_CHARS_MAX } from './limits.js';

/** Version of the cursor's JSON (I2). */
const CURSOR_VERSION = 1;

/** Where a list page ended. */
export interface ListCursor {
  readonly partition: number;
  /** The last id examined in `partition` (the next page starts after it); null: from its first. */
  readonly afterId: string | null;
}

/** The opaque form of `cursor` (I1). */
export function encodeCursor(cursor: ListCursor): string {
  const json = JSON.stringify({ v: CURSOR_VERSION, p: cursor.partition, a: cursor.afterId });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Reads a cursor back (I1, I2); throws AdminRequestError on anything else. */
export function decodeCursor(text: string): ListCursor {
  if (text.length > CURSOR_CHARS_MAX || !/^[A-Za-z0-9_-]+$/.test(text))
    throw new AdminRequestError('cursor is not one this server gave out');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new AdminRequestError('cursor is not one this server gave out');
  }
  if (typeof raw !== 'object' || raw === null)
    throw new AdminRequestError('cursor is not one this server gave out');
  const { v, p, a } = raw as { v?: unknown; p?: unknown; a?: unknown };
  if (v !== CURSOR_VERSION)
    throw new AdminRequestError('cursor is from another version; start the list again');
  if (
    typeof p !== 'number' ||
    !Number.isInteger(p) ||
    p < 0 ||
    p > 0xffffffff ||
    (typeof a !== 'string' && a !== null)
  )
    throw new AdminRequestError('cursor is not one this server gave out');
  return { partition: p, afterId: a };
}
