/** Percentiles and rounding for benchmark output. */

/** The q-quantile (0..1) of `items` ordered by `key`, by nearest rank; undefined for none. */
export function quantileBy<T>(items: readonly T[], q: number, key: (item: T) => number): T | undefined {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  return quantileBy(values, q, (v) => v) ?? Number.NaN;
}

/** The median of `values`, the mean of the middle two for an even count, rounded; undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return round(sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2);
}

/** Rounds to 2 decimals. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** p50/p95/p99 of `values`, rounded. */
export function percentiles(values: readonly number[]): { p50: number; p95: number; p99: number; n: number } {
  return {
    p50: round(quantile(values, 0.5)),
    p95: round(quantile(values, 0.95)),
    p99: round(quantile(values, 0.99)),
    n: values.length,
  };
}
