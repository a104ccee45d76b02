/** Percentiles and rounding for benchmark output. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
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
