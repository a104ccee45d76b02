/** JSON values as the engine carries user payloads (inputs, results, signal payloads). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** An error stored in the journal: data, not an exception (STYLE §3). */
export interface ErrorData {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  /** Extra structured detail, e.g. every attempt's error when retries are exhausted. */
  readonly details: JsonValue;
}
