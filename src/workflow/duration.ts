/**
 * Durations at the public API: milliseconds as a number, or a string such as '200ms', '10s', '5m',
 * '2h', '2d'. Converted once, here, at the boundary (STYLE §4); everything inside is `…Ms`.
 */
import { ConfigError } from '../errors.js';

/** A duration as users write it. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a {@link Duration} to whole milliseconds; a ConfigError names the bad value. */
export function toMs(duration: Duration, what = 'duration'): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0)
      throw new ConfigError(`${what} must be ≥ 0 ms, not ${duration}.`);
    return Math.round(duration);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(duration);
  const unit = match?.[2] === undefined ? undefined : UNIT_MS[match[2]];
  if (match?.[1] === undefined || unit === undefined) {
    throw new ConfigError(
      `${what} "${duration}" is not a duration; use milliseconds or e.g. '200ms', '10s', '5m', '2h', '2d'.`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}
