/**
 * The admin server's own routes: `/healthz`, `/readyz`, `/metrics` and `/api/partitions`. The workflow
 * routes come from src/admin/workflows; admin-server.ts tries these first.
 *
 * I1. `/healthz` answers 200 while the process serves HTTP at all, and is the one route without the token.
 * I2. `/readyz` is 200 only when readiness.ts says so, else 503 with the reason per partition.
 * I3. `/api/partitions` asks the broker for watermarks at most once a second (watermark-cache.ts); when it
 *     cannot, the lag is null and the reason is in `watermarkError`, the rest still answers.
 */
import { errorMessage } from '../errors.js';
import type { AdminMetrics } from './admin-metrics.js';
import type { AdminSource } from './admin-source.js';
import { type AdminHandler, type AdminResponse, json } from './http-types.js';
import { type PartitionsJson, partitionJson } from './partitions-json.js';
import { readiness } from './readiness.js';
import { WatermarkCache } from './watermark-cache.js';

/** The route that needs no token (I1). */
export const HEALTH_PATH = '/healthz';

/** One handler per path: the request is theirs when the path matches exactly. */
function route(path: string, answer: () => Promise<AdminResponse>): AdminHandler {
  return async (request) => (request.url.pathname === path ? answer() : undefined);
}

/** The partitions JSON (I3). */
async function partitionsJson(source: AdminSource, watermarks: WatermarkCache): Promise<AdminResponse> {
  const reports = source.view.partitions();
  let highs: ReadonlyMap<number, number> | undefined;
  let watermarkError: string | null = null;
  try {
    highs = await watermarks.get();
  } catch (error) {
    watermarkError = errorMessage(error); // I3
  }
  const assigned = [...(source.assignedPartitions() ?? [])].sort((a, b) => a - b);
  const partitions = assigned.map((p) =>
    partitionJson(p, reports.get(p), source.positions(p), highs?.get(p)),
  );
  const { executorId, namespace } = source.view;
  const body: PartitionsJson = { executorId, namespace, watermarkError, partitions };
  return json(200, body);
}

/** The admin server's own handlers (I1–I3). */
export function adminRoutes(source: AdminSource, metrics: AdminMetrics): AdminHandler[] {
  const watermarks = new WatermarkCache(() => source.commandHighWatermarks(), Date.now);
  return [
    route(HEALTH_PATH, async () => json(200, { status: 'ok', executorId: source.view.executorId })),
    route('/readyz', async () => {
      const r = readiness(source.assignedPartitions(), source.view.partitions());
      return json(r.ready ? 200 : 503, r); // I2
    }),
    route('/metrics', async () => {
      const { contentType, body } = await metrics.text();
      return { status: 200, contentType, body };
    }),
    route('/api/partitions', () => partitionsJson(source, watermarks)),
  ];
}
