/**
 * The workflow routes of the admin server: `/api/workflows`, `/api/workflows/<id>` and the web timeline.
 */
import type { ExecutorView } from '../executor-view.js';
import type { AdminHandler } from '../http-types.js';

/** The handlers for the workflows this executor owns. */
export function workflowHandlers(_view: ExecutorView): AdminHandler[] {
  return [];
}
