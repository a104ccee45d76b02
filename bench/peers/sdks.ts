/**
 * The peers' SDKs, loaded from a directory outside the project (`npm run -s bench:peers:install` puts them
 * there), typed by only what the benchmark calls: Logbook does not depend on them.
 */
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The systems the peers benchmark knows. */
export const PEER_SYSTEMS = ['logbook', 'restate', 'dbos'] as const;
export type PeerSystem = (typeof PEER_SYSTEMS)[number];

/** Where the peers are installed: PEERS_DIR, else ~/.cache/logbook/peers. */
export const peersDir = (): string => process.env.PEERS_DIR ?? join(homedir(), '.cache/logbook/peers');

export interface RestateContext {
  run<T>(name: string, action: () => T): Promise<T>;
}

export interface RestateSdk {
  workflow(definition: {
    name: string;
    handlers: { run: (ctx: RestateContext, input: unknown) => Promise<unknown> };
  }): unknown;
  serve(options: { services: unknown[]; port: number }): Promise<unknown>;
}

export interface DbosHandle<R> {
  getResult(): Promise<R>;
}

export interface DbosApi {
  setConfig(config: {
    name: string;
    systemDatabaseUrl: string;
    systemDatabasePoolSize?: number;
    logLevel?: string;
  }): void;
  registerWorkflow<R>(body: () => Promise<R>, config: { name: string }): () => Promise<R>;
  runStep<R>(step: () => Promise<R>, config: { name: string }): Promise<R>;
  launch(): Promise<void>;
  startWorkflow<R>(body: () => Promise<R>, params: { workflowID: string }): () => Promise<DbosHandle<R>>;
  shutdown(): Promise<void>;
}

const requireFrom = (dir: string): NodeRequire => createRequire(join(dir, 'package.json'));

/**
 * Restate's SDK 1.17 calls `Promise.withResolvers`, which Node 22 has and Node 20 lacks: the standard
 * behaviour is given to Node 20 before it loads.
 */
export function loadRestate(dir: string): RestateSdk {
  const P = Promise as { withResolvers?: unknown };
  P.withResolvers ??= <T>() => {
    let resolve: ((value: T) => void) | undefined;
    let reject: ((reason: unknown) => void) | undefined;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  return requireFrom(dir)('@restatedev/restate-sdk') as RestateSdk;
}

export const loadDbos = (dir: string): { DBOS: DbosApi } =>
  requireFrom(dir)('@dbos-inc/dbos-sdk') as { DBOS: DbosApi };

/** The Restate server's binary, as its npm package installs it. */
export const restateServerBin = (dir: string): string => join(dir, 'node_modules/.bin/restate-server');
