/**
 * `logbook worker`: runs an executor for every `workflow()` a module exports, until SIGTERM or SIGINT.
 *
 * I1. SIGTERM/SIGINT: stop taking work, let open transactions finish or abort, leave the group, exit 0.
 * I2. A module without any workflow export, or a path that is no module, is a usage error, not an idle
 *     worker or a stack trace.
 * I3. `--admin-port` starts the admin HTTP server (0: a free port), and the started line names its URL;
 *     a non-loopback `--admin-host` without a token is a usage error (admin-config.ts I1).
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AdminOptions } from '../admin/admin-config.js';
import { ConfigError } from '../errors.js';
import { Executor } from '../executor/index.js';
import { parseLogLevel } from '../logging/index.js';
import { isWorkflowDefinition, toMs } from '../workflow/index.js';
import { type ParsedArgs, parseFlags, positiveIntFlag, stringFlag } from './args.js';

const usage =
  'logbook worker --workflows <module.js> [--brokers] [--namespace] [--state-dir DIR] [--partitions N] [--id NAME] [--session-timeout 15s] [--admin-port N] [--admin-host 127.0.0.1] [--admin-token T] [--log-level debug|info|warn|error]';

/** The admin server's flags (I3); the token may also come from LOGBOOK_ADMIN_TOKEN. */
function adminFlags(args: ParsedArgs): AdminOptions {
  const raw = stringFlag(args, 'admin-port');
  const host = stringFlag(args, 'admin-host');
  const token = stringFlag(args, 'admin-token');
  if (raw === undefined) {
    if (host !== undefined || token !== undefined)
      throw new ConfigError('--admin-host and --admin-token need --admin-port.');
    return {};
  }
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535)
    throw new ConfigError(`--admin-port must be a port number from 0 to 65535, not "${raw}".`);
  return {
    adminPort: port,
    ...(host === undefined ? {} : { adminHost: host }),
    ...(token === undefined ? {} : { adminToken: token }),
  };
}

/** Imports the workflows module; a path that names no module is a usage error (I2). */
export async function loadModule(modulePath: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(modulePath)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(fileURLToPath(url))) {
      throw new ConfigError(`--workflows ${modulePath}: no such module (looked for ${fileURLToPath(url)}).`);
    }
    throw error; // an error inside the module: its own stack is what its author needs
  }
}

/** Runs `logbook worker`; resolves with the exit code after a graceful stop. */
export async function workerCommand(argv: readonly string[]): Promise<number> {
  const args = parseFlags(argv, {
    workflows: { type: 'string' },
    brokers: { type: 'string' },
    namespace: { type: 'string' },
    'state-dir': { type: 'string' },
    partitions: { type: 'string' },
    id: { type: 'string' },
    'session-timeout': { type: 'string' },
    'log-level': { type: 'string' },
    'admin-port': { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-token': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (args.flags.help === true) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const modulePath = stringFlag(args, 'workflows');
  if (modulePath === undefined) throw new ConfigError(`missing --workflows. Usage: ${usage}`);
  const exports = await loadModule(modulePath);
  const workflows = Object.values(exports).filter(isWorkflowDefinition);
  if (workflows.length === 0) throw new ConfigError(`${modulePath} exports no workflow() definitions.`); // I2

  const brokers = stringFlag(args, 'brokers');
  const namespace = stringFlag(args, 'namespace');
  const stateDir = stringFlag(args, 'state-dir');
  const executorId = stringFlag(args, 'id');
  const sessionTimeout = stringFlag(args, 'session-timeout');
  const logLevel = stringFlag(args, 'log-level'); // wins over LOGBOOK_LOG_LEVEL
  const executor = new Executor({
    workflows,
    partitions: positiveIntFlag(args, 'partitions', 6),
    ...(brokers === undefined ? {} : { brokers }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(stateDir === undefined ? {} : { stateDir }),
    ...(executorId === undefined ? {} : { executorId }),
    ...(sessionTimeout === undefined ? {} : { sessionTimeoutMs: toMs(sessionTimeout, '--session-timeout') }),
    ...(logLevel === undefined ? {} : { logLevel: parseLogLevel(logLevel, '--log-level') }),
    ...adminFlags(args), // I3
  });
  const stopSignal = new Promise<string>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  await executor.start();
  process.stdout.write(
    `${JSON.stringify({
      worker: 'started',
      workflows: workflows.map((w) => w.name),
      namespace: executor.config.namespace,
      ...(executor.adminAddress === undefined ? {} : { admin: executor.adminAddress.url }),
    })}\n`,
  );
  const signal = await stopSignal;
  await executor.stop(); // I1
  process.stdout.write(`${JSON.stringify({ worker: 'stopped', signal })}\n`);
  return 0;
}
