/**
 * The workflow routes of the admin server: `/api/workflows`, `/api/workflow-counts`,
 * `/api/workflows/<id>` (api-routes.ts) and the web timeline `/`, `/workflows/<id>` (web-routes.ts).
 * All of them read the node cache of the partitions this executor owns, and the journal for finished
 * workflows' histories; none writes anything (executor-view.ts I1).
 */
import type { ExecutorView } from '../executor-view.js';
import type { AdminHandler } from '../http-types.js';
import { apiRoutes } from './api-routes.js';
import { webRoutes } from './web-routes.js';

export type {
  HistoryPageJson,
  HistoryRecordJson,
  PendingJson,
  WorkflowCountsJson,
  WorkflowDetailJson,
} from './detail-json.js';
export {
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  LIST_KEYS_EXAMINED_MAX,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
} from './limits.js';

/** The handlers for the workflows this executor owns. */
export function workflowHandlers(view: ExecutorView): AdminHandler[] {
  return [apiRoutes(view), webRoutes(view)];
}
