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
import { catchUpLag, isFailing } from './admin-metrics.js';
import type { AdminSource } from './admin-source.js';
import { type AdminHandler, type AdminResponse, json } from './http-types.js';
import { partitionNotReady, readiness } from './readiness.js';
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
    watermarkError = errorMessage(error);
  }
  const assigned = [...(source.assignedPartitions() ?? [])].sort((a, b) => a - b);
  const partitions = assigned.map((partition) => {
    const report = reports.get(partition);
    const positions = source.positions(partition);
    const high = highs?.get(partition);
    const next = positions?.nextCommandOffset;
    return {
      partition,
      phase: report?.phase ?? 'claiming',
      slot: report?.slot ?? 'starting',
      ready: partitionNotReady(report) === null,
      reason: partitionNotReady(report),
      journalOffset: positions?.journalOffset ?? null,
      confirmedOffset: positions?.confirmedOffset ?? null,
      nextCommandOffset: next ?? null,
      commandHighWatermark: high ?? null,
      commandLag: high === undefined || next === undefined ? null : Math.max(0, high - next),
      catchUp: {
        journalOffset: report?.catchUpOffset ?? null,
        endOffset: report === undefined || report.catchUpEndOffset < 0 ? null : report.catchUpEndOffset,
        recordsToGo: report === undefined ? null : catchUpLag(report),
        recordsFolded: report?.catchUpRecords ?? null,
        ms: report?.catchUpMs ?? null,
      },
      failing:
        report === undefined || !isFailing(report)
          ? null
          : (report.failing ?? { slotError: report.slotError ?? null }),
      workflowsStarted: report?.workflowsStarted ?? 0,
      workflowsFinished: report?.workflowsFinished ?? 0,
      hotWorkflows: report?.hotWorkflows ?? 0,
      timersInMemory: report?.timersInMemory ?? 0,
    };
  });
  const { executorId, namespace } = source.view;
  return json(200, { executorId, namespace, watermarkError, partitions });
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
