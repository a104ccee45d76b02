/**
 * The JSON routes of the workflows: `GET /api/workflows` (one page, list-query.ts), `GET
 * /api/workflow-counts` (by status) and `GET /api/workflows/<id>` (summary and history, detail-query.ts).
 *
 * I1. A request outside these paths is not ours: undefined (http-types.ts I1). Ours with another method
 *     than GET/HEAD is a 405.
 * I2. Route errors (errors.ts) answer JSON with their status; anything else propagates to the server,
 *     which answers 500 — a broken cache or broker is not the caller's fault.
 */
import type { ExecutorView } from '../executor-view.js';
import { type AdminHandler, type AdminResponse, json } from '../http-types.js';
import { describeWorkflow } from './detail-query.js';
import { isWorkflowRouteError, routeErrorJson } from './errors.js';
import { countWorkflows, listWorkflows } from './list-query.js';
import { historyRequest, idFromPath, listRequest } from './params.js';

/** Path of the list. */
export const LIST_PATH = '/api/workflows';
/** Path of the counts. */
export const COUNTS_PATH = '/api/workflow-counts';
/** Prefix of one workflow's path; the URL-encoded id follows. */
export const DETAIL_PREFIX = '/api/workflows/';

function isOurs(pathname: string): boolean {
  return pathname === LIST_PATH || pathname === COUNTS_PATH || pathname.startsWith(DETAIL_PREFIX);
}

/** Answers a route error as JSON (I2); rethrows the rest. */
export function answerError(error: unknown): AdminResponse {
  if (isWorkflowRouteError(error)) return json(error.httpStatus, routeErrorJson(error));
  throw error;
}

async function route(view: ExecutorView, url: URL): Promise<AdminResponse> {
  if (url.pathname === LIST_PATH) return json(200, await listWorkflows(view, listRequest(url.searchParams)));
  if (url.pathname === COUNTS_PATH) return json(200, await countWorkflows(view));
  const id = idFromPath(url.pathname, DETAIL_PREFIX);
  if (id === undefined)
    return json(404, { error: { name: 'NotFound', message: 'no workflow id in the path' } });
  return json(200, await describeWorkflow(view, id, historyRequest(url.searchParams)));
}

/** The handler of the JSON routes. */
export function apiRoutes(view: ExecutorView): AdminHandler {
  return async (request) => {
    if (!isOurs(request.url.pathname)) return undefined; // I1
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return json(405, { error: { name: 'MethodNotAllowed', message: 'only GET is allowed here' } });
    try {
      return await route(view, request.url);
    } catch (error) {
      return answerError(error);
    }
  };
}
