/**
 * The command topic's high watermarks, asked of the broker at most once per WATERMARKS_TTL_MS however
 * often `/api/partitions` is scraped.
 *
 * I1. One request in flight: concurrent callers share it.
 * I2. A failed fetch is not cached: the next call asks again (the route shows the error meanwhile).
 */

/** How long fetched watermarks are reused (I1). */
export const WATERMARKS_TTL_MS = 1_000;

/** Watermarks by partition, cached (I1, I2). */
export class WatermarkCache {
  private value: ReadonlyMap<number, number> | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<ReadonlyMap<number, number>> | undefined;

  constructor(
    private readonly fetch: () => Promise<ReadonlyMap<number, number>>,
    private readonly now: () => number,
    private readonly ttlMs = WATERMARKS_TTL_MS,
  ) {}

  /** The watermarks, fetched now if the cached ones are older than the TTL. */
  get(): Promise<ReadonlyMap<number, number>> {
    if (this.value !== undefined && this.now() - this.fetchedAtMs < this.ttlMs)
      return Promise.resolve(this.value);
    this.inFlight ??= this.fetch()
      .then((value) => {
        this.value = value;
        this.fetchedAtMs = this.now();
        return value;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}
