/**
 * Test support for the command-line tests (not a test file): `logbook` run as a user runs it, a child
 * process on the test's brokers and namespace, and a test double of the executors' admin HTTP server (an
 * HTTP server, never a Kafka one) answering WorkflowPageJson.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowPageJson, WorkflowSummaryJson } from '../../src/admin/api-types.js';

/** How a CLI run ended. */
export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `logbook <args> --brokers … --namespace …`; LOGBOOK_ADMIN_URL is cleared unless `env` sets it. */
export async function runCli(
  brokers: readonly string[],
  namespace: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const common = ['--brokers', brokers.join(','), '--namespace', namespace];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, ...common], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOGBOOK_ADMIN_URL: '', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out, err };
}

/** A test double of the admin server: answers WorkflowPageJson in pages of one item, and notes headers. */
export async function adminDouble(
  items: readonly WorkflowSummaryJson[],
  seen: IncomingHttpHeaders[],
): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const url = new URL(req.url ?? '/', 'http://x');
    const status = url.searchParams.get('status');
    const matching = items.filter((i) => status === null || i.status === status);
    const at = Number(url.searchParams.get('cursor') ?? '0');
    const page: WorkflowPageJson = {
      items: matching.slice(at, at + 1),
      nextCursor: at + 1 < matching.length ? String(at + 1) : null,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(page));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** The base URL of a listening server. */
export const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
