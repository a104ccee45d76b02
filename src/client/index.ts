/** The client: start, signal, cancel, describe, and wait for results. */
export { Client, type ClientOptions, type WorkflowDescription, type WorkflowHandle } from './client.js';
