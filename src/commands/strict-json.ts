/**
 * Strict UTF-8 JSON parsing for commands: anyone may produce to `ns.commands`, so bytes that are not
 * valid UTF-8 are rejected rather than silently repaired with U+FFFD (which Buffer#toString would do).
 *
 * I1. Throws TypeError for invalid UTF-8 and SyntaxError for invalid JSON; callers turn both into a
 *     CommandBadJson rejection. A leading UTF-8 byte order mark is skipped (TextDecoder's default).
 */
import type { JsonValue } from '../journal/index.js';

// A TextDecoder used without `stream` keeps no state between calls, so one instance serves all of them.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Parses UTF-8 JSON bytes, rejecting invalid UTF-8 (I1). */
export function parseStrictJson(bytes: Uint8Array): JsonValue {
  const text = UTF8.decode(bytes);
  // JSON.parse yields exactly the JsonValue shapes; the annotation only names them.
  const value: JsonValue = JSON.parse(text);
  return value;
}
