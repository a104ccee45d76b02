/**
 * The web pages: `GET /` (the list, html-list.ts), `GET /workflows/<id>` (the timeline,
 * html-timeline.ts) and `GET /workflows?id=` (the open-by-id form: a redirect to the timeline). They read
 * through the same queries as the JSON routes.
 *
 * I1. A request outside these paths is not ours: undefined (http-types.ts I1).
 * I2. Route errors (errors.ts) answer an HTML error page with their status; others propagate (500).
 */
import type { ExecutorView } from '../executor-view.js';
import { type AdminHandler, type AdminResponse, html } from '../http-types.js';
import { describeWorkflow } from './detail-query.js';
import { isWorkflowRouteError } from './errors.js';
import { workflowHref } from './html-escape.js';
import { errorPage } from './html-layout.js';
import { renderListPage } from './html-list.js';
import { renderTimelinePage } from './html-timeline.js';
import { countWorkflows, listWorkflows } from './list-query.js';
import { historyRequest, idFromPath, listRequest } from './params.js';

/** Prefix of a timeline page; the URL-encoded id follows. */
export const TIMELINE_PREFIX = '/workflows/';

async function listPage(view: ExecutorView, url: URL): Promise<AdminResponse> {
  const request = listRequest(url.searchParams);
  const [page, counts] = await Promise.all([listWorkflows(view, request), countWorkflows(view)]);
  return html(
    200,
    renderListPage({
      executorId: view.executorId,
      status: request.status,
      workflow: request.workflow,
      workflowNames: view.workflowNames,
      page,
      counts,
    }),
  );
}

async function route(view: ExecutorView, url: URL): Promise<AdminResponse | undefined> {
  if (url.pathname === '/') return listPage(view, url);
  if (url.pathname === '/workflows') {
    const id = url.searchParams.get('id') ?? '';
    if (id === '')
      return { status: 303, contentType: 'text/plain; charset=utf-8', body: '', headers: { location: '/' } };
    return {
      status: 303,
      contentType: 'text/plain; charset=utf-8',
      body: '',
      headers: { location: workflowHref(id) },
    };
  }
  const id = idFromPath(url.pathname, TIMELINE_PREFIX);
  if (id === undefined) return undefined;
  return html(200, renderTimelinePage(await describeWorkflow(view, id, historyRequest(url.searchParams))));
}

/** The handler of the web pages. */
export function webRoutes(view: ExecutorView): AdminHandler {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    try {
      return await route(view, request.url); // I1
    } catch (error) {
      if (isWorkflowRouteError(error))
        return html(error.httpStatus, errorPage(error.httpStatus, error.message)); // I2
      throw error;
    }
  };
}
