/**
 * Rules for ids and names that reach the journal: workflow ids, step, signal and workflow names, topics.
 * The command validator (src/commands) and the workflow runtime (src/replay) apply the same rules, so a
 * child start a body makes can never be refused by its owner's decoder.
 *
 * I1. Never lower NAME_LENGTH_MAX: accepted ids and names are in journals.
 * I2. Ids and names are well-formed Unicode, so each has exactly one UTF-8 form (keys are bytes).
 */

/** A surrogate code unit outside a pair: with the `u` flag, a pair is one code point and does not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Longest id or name, in code points (I1). */
export const NAME_LENGTH_MAX = 256;

/** True when `text` has at most `max` code points, without counting when UTF-16 length decides it. */
export function fitsLength(text: string, max: number): boolean {
  if (text.length <= max) return true;
  if (text.length > 2 * max) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return false;
  return true;
}

/** Why `text` is not a valid name, or undefined when it is: 1 to NAME_LENGTH_MAX code points. */
export function nameProblem(text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '' || !fitsLength(text, NAME_LENGTH_MAX))
    return `a string of 1 to ${NAME_LENGTH_MAX} characters`;
  // A lone surrogate has no UTF-8 form: two such ids would be one id in Kafka keys and the cache (I2).
  if (LONE_SURROGATE.test(text)) return 'well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** Why `text` is not a valid workflow id, or undefined when it is: a name not starting with "__". */
export function idProblem(text: unknown): string | undefined {
  const problem = nameProblem(text);
  if (problem !== undefined) return problem;
  if (typeof text === 'string' && text.startsWith('__'))
    return 'an id that does not start with "__" (reserved for Logbook)';
  return undefined;
}
