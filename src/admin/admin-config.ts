/**
 * The admin server's options as users pass them (`adminPort`, `adminHost`, `adminToken`, or the worker's
 * `--admin-*` flags), resolved once into a config with the token rule checked before anything binds.
 *
 * I1. No token, no exposure: bound to anything but a loopback address, the server refuses to start
 *     without a token (ConfigError). A token given on loopback is enforced too.
 * I2. The token comes from the option, else LOGBOOK_ADMIN_TOKEN; it is never logged or answered.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../errors.js';

/** The address the admin server binds unless told otherwise: loopback only (I1). */
export const ADMIN_HOST_DEFAULT = '127.0.0.1';
/** Shortest token accepted: a guessable token is no protection on a reachable port. */
export const ADMIN_TOKEN_CHARS_MIN = 16;
/** Longest token accepted (it travels in a header, a cookie and a query string). */
export const ADMIN_TOKEN_CHARS_MAX = 512;

/** Admin options of `new Executor(…)`. */
export interface AdminOptions {
  /** Port of the admin HTTP server; 0 picks a free one (see `executor.adminAddress`). Absent: no server. */
  readonly adminPort?: number;
  /** Address to bind; default 127.0.0.1. Anything but loopback requires a token (I1). */
  readonly adminHost?: string;
  /** Bearer token required on every route but /healthz; default LOGBOOK_ADMIN_TOKEN (I2). */
  readonly adminToken?: string;
}

/** Resolved admin server config. */
export interface AdminConfig {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host.startsWith('::ffff:127.');
}

/** Resolves admin options; undefined when no port is given (no server). Throws ConfigError (I1). */
export function resolveAdminOptions(
  options: AdminOptions,
  env: NodeJS.ProcessEnv = process.env,
): AdminConfig | undefined {
  const { adminPort: port } = options;
  if (port === undefined) return undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`adminPort must be a port number from 0 to 65535, not ${port}.`);
  const host = options.adminHost ?? ADMIN_HOST_DEFAULT;
  if (host === '') throw new ConfigError('adminHost must not be empty.');
  const token = options.adminToken ?? (env.LOGBOOK_ADMIN_TOKEN || undefined); // I2
  if (token === undefined && !isLoopbackHost(host))
    throw new ConfigError(
      `the admin server on ${host} would be reachable from other machines: give it a token ` +
        '(--admin-token, adminToken or LOGBOOK_ADMIN_TOKEN), or bind it to 127.0.0.1.',
    ); // I1
  if (token !== undefined && (token.length < ADMIN_TOKEN_CHARS_MIN || token.length > ADMIN_TOKEN_CHARS_MAX))
    throw new ConfigError(
      `the admin token must be ${ADMIN_TOKEN_CHARS_MIN} to ${ADMIN_TOKEN_CHARS_MAX} characters, not ${token.length}.`,
    );
  if (token !== undefined && !/^[A-Za-z0-9._~+/=-]+$/.test(token))
    throw new ConfigError(
      'the admin token may hold letters, digits and . _ ~ + / = - only (it travels in a cookie).',
    );
  return { port, host, token };
}
