/**
 * An executor's admin surface, wired: the metrics (made before any owner, so every committed tick is
 * counted) and the admin HTTP server (started once the consumer runs). Without `adminPort` there is
 * neither, and the owners get no tick observer.
 *
 * I1. The handlers are the server's own routes, then the workflow routes, then 404 (admin-answer.ts I3).
 * I2. The server reads the executor only through AdminSource and ExecutorView (read-only).
 */
import type { Admin } from 'kafkajs';
import type { AdminConfig } from '../admin/admin-config.js';
import { AdminMetrics } from '../admin/admin-metrics.js';
import { adminRoutes } from '../admin/admin-routes.js';
import { type AdminAddress, AdminServer } from '../admin/admin-server.js';
import type { AdminSource } from '../admin/admin-source.js';
import type { ExecutorView, PartitionReport } from '../admin/executor-view.js';
import { workflowHandlers } from '../admin/workflows/index.js';
import type { Logger } from '../logging/index.js';
import type { OwnerPositions, TickObserver } from '../partition/index.js';

/** What the executor hands its admin surface (I2). */
export interface ExecutorAdminHost {
  readonly logger: Logger;
  view(): ExecutorView;
  partitions(): ReadonlyMap<number, PartitionReport>;
  assignedPartitions(): ReadonlySet<number> | undefined;
  positions(p: number): OwnerPositions | undefined;
  /** The Kafka admin client, once the executor has connected it. */
  kafkaAdmin(): Admin | undefined;
  readonly commandsTopic: string;
}

/** The admin surface of one executor. */
export class ExecutorAdmin {
  private readonly metrics: AdminMetrics;
  private server: AdminServer | undefined;

  constructor(
    private readonly config: AdminConfig,
    private readonly host: ExecutorAdminHost,
  ) {
    this.metrics = new AdminMetrics(() => host.partitions(), host.logger);
  }

  /** The owners' tick observer: the metrics. */
  get tickObserver(): TickObserver {
    return this.metrics;
  }

  /** Where the server listens, once started. */
  get address(): AdminAddress | undefined {
    return this.server?.address;
  }

  /** Starts the server (I1). */
  async start(): Promise<AdminAddress> {
    const host = this.host;
    const source: AdminSource = {
      view: host.view(),
      logger: host.logger,
      assignedPartitions: () => host.assignedPartitions(),
      positions: (p) => host.positions(p),
      commandHighWatermarks: async () => {
        const admin = host.kafkaAdmin();
        if (admin === undefined) throw new Error('the executor is not connected');
        const offsets = await admin.fetchTopicOffsets(host.commandsTopic);
        return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
      },
    };
    const handlers = [...adminRoutes(source, this.metrics), ...workflowHandlers(source.view)]; // I1
    this.server = new AdminServer(this.config, handlers, host.logger);
    return this.server.start();
  }

  /** Closes the server. */
  async close(): Promise<void> {
    await this.server?.close();
  }
}
